// Exit codes and the one-line error messages the CLI prints on stderr.
#pragma once

#include <string>

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
};

// Turns a failed RPC into a status with the same code whose message reads well after "pumptrack: ". `subject` names
// what was asked about, e.g. "device PT-00042" or "device list"; the server and timeout come from `connection`:
//   NOT_FOUND          -> "device PT-00042 not found"
//   UNAVAILABLE        -> "cannot reach localhost:50051: <gRPC's reason>"
//   DEADLINE_EXCEEDED  -> "no answer from localhost:50051 within 10s"
//   anything else      -> "device PT-00042: <server's message>"
absl::Status FromRpcStatus(const grpc::Status& status, absl::string_view subject, const ConnectionOptions& connection);

// "pumptrack: device PT-09999 not found (NOT_FOUND)": one line, whatever newlines the message held.
std::string ErrorLine(const absl::Status& status);

// "pumptrack: --state: 'busy' is not an operating state; ... (see pumptrack --help)".
std::string UsageErrorLine(absl::string_view message);

}  // namespace pumptrack::cli
