#ifndef PUMPTRACK_CLI_LOGIN_COMMANDS_H_
#define PUMPTRACK_CLI_LOGIN_COMMANDS_H_

#include <istream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "pumptrack/v1/auth.grpc.pb.h"

namespace pumptrack::cli {

using AuthContext = ServiceContext<v1::AuthService>;

// Where `pumptrack login` keeps the session token: $XDG_CONFIG_HOME/pumptrack/session, else
// $HOME/.config/pumptrack/session; empty when neither variable is set.
std::string SessionFilePath(const std::string& xdg_config_home, const std::string& home);

// The session token saved by `pumptrack login`, or "" when there is none. The file must belong to this user and be
// readable by nobody else (else FAILED_PRECONDITION, and it is not used).
absl::StatusOr<std::string> ReadSessionToken(const std::string& path);

// `pumptrack login USER`: reads the password (without echo from a terminal; one line from stdin otherwise), signs in,
// writes the token to `session_file` (0600, in a 0700 directory; replaced atomically) and prints who signed in with
// which role until when. The password is wiped after the call.
absl::Status Login(const AuthContext& context, const std::string& user, const std::string& session_file,
                   std::istream& in, bool in_is_terminal);

// `pumptrack logout`: signs the saved session out (SignOut with it) and removes the file. A session the service no
// longer knows is removed too.
absl::Status Logout(const AuthContext& context, const std::string& session_file);

}  // namespace pumptrack::cli

#endif  // PUMPTRACK_CLI_LOGIN_COMMANDS_H_
