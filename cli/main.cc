// pumptrack: the command-line tool for asset managers. See cli/app.h.
#include <cstdlib>
#include <iostream>

#include "cli/app.h"
#include "grpc/support/log.h"

namespace {

// gRPC logs some connection failures (e.g. TLS handshakes) to stderr on its own; the CLI reports each failure as one
// line instead. Setting GRPC_VERBOSITY brings gRPC's logging back for debugging.
void QuietGrpcLogging() {
  if (std::getenv("GRPC_VERBOSITY") != nullptr) return;
  gpr_set_log_function([](gpr_log_func_args*) {});
}

}  // namespace

int main(int argc, char** argv) {
  QuietGrpcLogging();
  return pumptrack::cli::Run(argc, argv, pumptrack::cli::Environment::FromProcess(), std::cout, std::cerr);
}
