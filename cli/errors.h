// Exit codes and the one-line error messages the CLI prints on stderr.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/connection.h"
#include "grpcpp/support/status.h"

namespace pumptrack::cli {

enum ExitCode : int {
  kExitOk = 0,
  // The service could not be reached or answered with an error, or local setup (e.g. reading --ca) failed.
  kExitFailure = 1,
  // The command line was wrong; nothing was sent.
  kExitUsage = 2,
  // `audit verify` found the audit log broken.
  kExitAuditBroken = 3,
};

// Turns a failed RPC into a status with the same code whose message reads well after "pumptrack: ". `subject` names
// what was asked about, e.g. "device PT-00042" or "device list"; the server and timeout come from `connection`:
//   NOT_FOUND          -> "device PT-00042 not found"
//   UNAVAILABLE        -> "cannot reach localhost:50051: <gRPC's reason>"
//   DEADLINE_EXCEEDED  -> "no answer from localhost:50051 within 10s"
//   UNAUTHENTICATED    -> "not authenticated: pass --token or set PUMPTRACK_TOKEN" (without a token), or
//                         "not authenticated: the token was refused (unknown, expired or revoked); pass --token or set
//                         PUMPTRACK_TOKEN" (with one)
//   PERMISSION_DENIED  -> "permission denied: token list: <server's message>"
//   anything else      -> "device PT-00042: <server's message>"
absl::Status FromRpcStatus(const grpc::Status& status, absl::string_view subject, const ConnectionOptions& connection);

// "pumptrack: device PT-09999 not found (NOT_FOUND)": one line, whatever newlines the message held, with other control
// characters escaped (see Printable).
std::string ErrorLine(const absl::Status& status);

// "pumptrack: --state: 'busy' is not an operating state; ... (see pumptrack --help)".
std::string UsageErrorLine(absl::string_view message);

// `text` with every bearer secret hidden: each of `secrets` (empty ones are ignored) and every word that looks like a
// pumptrack token secret ("ptk_...") becomes "<redacted>". Everything the CLI prints on stderr goes through this.
std::string RedactSecrets(absl::string_view text, const std::vector<std::string>& secrets);

}  // namespace pumptrack::cli
