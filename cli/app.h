// The `pumptrack` command line: parses arguments, connects, runs one command, reports errors as one line on stderr.
#pragma once

#include <ostream>
#include <string>

#include "absl/time/time.h"

namespace pumptrack::cli {

// What the CLI takes from its surroundings, so tests can supply their own.
struct Environment {
  // PUMPTRACK_SERVER; empty when unset (then --server defaults to localhost:50051).
  std::string server;
  // PUMPTRACK_TOKEN: the bearer secret used unless --token is given; empty when unset. Never printed.
  std::string token;
  // The reference time for relative ages and --since.
  absl::Time now;
  // Where `pumptrack login` keeps the session token (see SessionFilePath); its token is used when neither --token nor
  // PUMPTRACK_TOKEN gives one. Empty: no session file.
  std::string session_file;
  // Whether stdin is a terminal (`pumptrack login` then prompts without echo; otherwise it reads one line).
  bool stdin_is_terminal = false;

  // Reads the process environment and the clock.
  static Environment FromProcess();
};

// Runs `pumptrack` with the given arguments (argv[0] is the program name). Output goes to `out`, errors to `err` as
// one line each, with any token secret redacted. Returns the process exit code: kExitOk, kExitFailure (the service
// failed or could not be reached), kExitUsage (bad command line; nothing was sent) or kExitAuditBroken (`audit verify`
// found the audit log broken). Throws nothing.
int Run(int argc, const char* const* argv, const Environment& environment, std::ostream& out, std::ostream& err);

}  // namespace pumptrack::cli
