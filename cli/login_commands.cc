#include "cli/login_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cli/connection.h"
#include "cli/errors.h"
#include "common/ids.h"
#include "openssl/crypto.h"

namespace pumptrack::cli {
namespace {

// Reads one line; from a terminal with echo turned off (the prompt goes to stderr).
std::string ReadPassword(std::istream& in, bool in_is_terminal) {
  std::string password;
  if (!in_is_terminal) {
    std::getline(in, password);
  } else {
    std::cerr << "Password: " << std::flush;
    termios saved{};
    const bool have_terminal = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (have_terminal) {
      termios silent = saved;
      silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
    }
    std::getline(in, password);
    if (have_terminal) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << '\n';
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status WriteSecretFile(const std::string& path, const std::string& secret) {
  const std::filesystem::path file(path);
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  if (error)
    return absl::InternalError(absl::StrCat("cannot create ", file.parent_path().string(), ": ", error.message()));
  chmod(file.parent_path().c_str(), 0700);
  const std::string temporary = path + ".tmp";
  unlink(temporary.c_str());
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoError(absl::StrCat("cannot write ", temporary));
  const std::string contents = secret + "\n";
  const bool written = write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
                       fchmod(fd, 0600) == 0 && fsync(fd) == 0;
  close(fd);
  if (!written || rename(temporary.c_str(), path.c_str()) != 0) {
    unlink(temporary.c_str());
    return ErrnoError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace

std::string SessionFilePath(const std::string& xdg_config_home, const std::string& home) {
  if (!xdg_config_home.empty()) return xdg_config_home + "/pumptrack/session";
  if (!home.empty()) return home + "/.config/pumptrack/session";
  return "";
}

absl::StatusOr<std::string> ReadSessionToken(const std::string& path) {
  if (path.empty()) return std::string();
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) return std::string();
  if (!S_ISREG(info.st_mode) || info.st_uid != geteuid() || (info.st_mode & 0077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " must be a regular file of yours, readable only by you (chmod 600); not used"));
  }
  std::ifstream in(path);
  std::string token;
  std::getline(in, token);
  return std::string(absl::StripAsciiWhitespace(token));
}

absl::Status Login(const AuthContext& context, const std::string& user, const std::string& session_file,
                   std::istream& in, bool in_is_terminal) {
  if (session_file.empty()) {
    return absl::FailedPreconditionError("neither XDG_CONFIG_HOME nor HOME is set: nowhere to keep the session");
  }
  v1::SignInRequest request;
  request.set_username(user);
  {
    std::string password = ReadPassword(in, in_is_terminal);
    request.set_password(password);
    OPENSSL_cleanse(password.data(), password.size());
  }
  // Signing in sends no token, whatever --token or PUMPTRACK_TOKEN say.
  ConnectionOptions anonymous = context.connection;
  anonymous.token.clear();
  v1::SignInResponse response;
  const grpc::Status status = context.stub.SignIn(NewCallContext(anonymous).get(), request, &response);
  OPENSSL_cleanse(request.mutable_password()->data(), request.password().size());
  if (!status.ok()) return FromRpcStatus(status, "sign-in", context.connection);
  if (absl::Status written = WriteSecretFile(session_file, response.token()); !written.ok()) return written;
  const absl::Time expires = absl::FromUnixSeconds(response.expires_at().seconds());
  context.out << "signed in as " << response.display_name() << " (" << ids::RoleName(response.role()) << ") until "
              << absl::FormatTime("%Y-%m-%d %H:%M %Z", expires, absl::LocalTimeZone()) << "; session kept in "
              << session_file << '\n';
  return absl::OkStatus();
}

absl::Status Logout(const AuthContext& context, const std::string& session_file) {
  absl::StatusOr<std::string> token = ReadSessionToken(session_file);
  if (!token.ok()) return token.status();
  if (token->empty()) return absl::FailedPreconditionError("not signed in (no saved session)");
  ConnectionOptions with_session = context.connection;
  with_session.token = *token;
  v1::SignOutResponse response;
  const grpc::Status status = context.stub.SignOut(NewCallContext(with_session).get(), v1::SignOutRequest(), &response);
  // A session the service already ended (expired, revoked) is gone either way.
  if (!status.ok() && status.error_code() != grpc::StatusCode::UNAUTHENTICATED) {
    return FromRpcStatus(status, "sign-out", context.connection);
  }
  std::error_code error;
  std::filesystem::remove(session_file, error);
  if (error) return absl::InternalError(absl::StrCat("cannot remove ", session_file, ": ", error.message()));
  context.out << "signed out\n";
  return absl::OkStatus();
}

}  // namespace pumptrack::cli
