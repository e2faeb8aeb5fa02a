// pumptrack-test-slapd: the ldap tests' slapd (tests/ldap/slapd_fixture.h) as a process, for the browser test and the
// sign-in bench, which are not C++. It starts a real slapd with TLS on loopback ports in a temporary directory, loaded
// with the fixture's people and groups, writes what pumptrackd's --ldap_* flags need as JSON to --ready_file, and
// stops slapd (and removes its files) on SIGTERM / SIGINT or, with --watch_stdin, when its standard input closes
// (a parent that dies without stopping it). SIGUSR1 stops slapd (the directory is down: connections refused) and
// SIGUSR2 starts it again on the same ports and data, rewriting the ready file with the new "slapd_pid" (the sign-in
// bench's "down" phases).
//
//   pumptrack-test-slapd --ready_file=PATH [--watch_stdin]
//   → {"ldaps_url": ..., "ca": ..., "bind_dn": ..., "bind_password_file": ..., "user_base": ..., "group_base": ...,
//      "group_map": ..., "slapd_pid": N}
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/ldap/slapd_fixture.h"
#include "tests/security/security_test_util.h"

namespace {

// Enough JSON for paths and DNs made by the fixture (no quotes or control characters in them).
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool WriteFile(const std::string& path, const std::string& contents, mode_t mode) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << contents;
    if (!out.flush()) return false;
  }
  return chmod(temp.c_str(), mode) == 0 && std::rename(temp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ready_file;
  bool watch_stdin = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--ready_file=", 0) == 0) ready_file = arg.substr(13);
    if (arg == "--watch_stdin") watch_stdin = true;
  }
  if (ready_file.empty()) {
    std::fprintf(stderr, "usage: %s --ready_file=PATH\n", argv[0]);
    return 2;
  }
  namespace lt = pumptrack::ldap_testing;
  pumptrack::security_testing::TempDir temp("slapd");
  {
    lt::Slapd slapd(temp.Sub("slapd"));
    slapd.Start();
    // SIGTERM / SIGINT are taken with sigtimedwait below, so the fixture's destructors stop slapd and remove the
    // files. Blocked only now: slapd inherits the mask it is spawned with.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGUSR1);
    sigaddset(&stop_signals, SIGUSR2);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    // slapd is spawned with our mask: it must not start with its signals blocked.
    sigset_t none;
    sigemptyset(&none);
    if (slapd.pid() <= 0 || kill(slapd.pid(), 0) != 0) {
      std::fprintf(stderr, "pumptrack-test-slapd: slapd did not start\n");
      return 1;
    }
    const std::string map = temp.Sub("groups.map");
    const std::string password = temp.Sub("bind.pw");
    if (!WriteFile(map, lt::GroupMapText(), 0644) || !WriteFile(password, lt::kServicePassword, 0600)) {
      std::fprintf(stderr, "pumptrack-test-slapd: cannot write under %s\n", temp.path().c_str());
      return 1;
    }
    const auto ready_json = [&] {
      return absl::StrCat("{\"ldaps_url\": ", Quoted(slapd.ldaps_url()), ", \"ca\": ", Quoted(slapd.ca_path()),
                          ", \"bind_dn\": ", Quoted(lt::kServiceDn), ", \"bind_password_file\": ", Quoted(password),
                          ", \"user_base\": ", Quoted(lt::kPeopleBase), ", \"group_base\": ", Quoted(lt::kGroupBase),
                          ", \"group_map\": ", Quoted(map), ", \"slapd_pid\": ", slapd.pid(), "}\n");
    };
    if (!WriteFile(ready_file, ready_json(), 0644)) {
      std::fprintf(stderr, "pumptrack-test-slapd: cannot write %s\n", ready_file.c_str());
      return 1;
    }
    // Until a stop signal arrives or standard input closes (the parent went away).
    for (;;) {
      const timespec tick{0, 100 * 1000 * 1000};
      const int signal = sigtimedwait(&stop_signals, nullptr, &tick);
      if (signal == SIGTERM || signal == SIGINT) break;
      if (signal == SIGUSR1 || signal == SIGUSR2) {
        if (slapd.pid() > 0) kill(slapd.pid(), SIGCONT);  // a stopped (SIGSTOP) slapd cannot take SIGTERM
        slapd.Stop();
        if (signal == SIGUSR2) {
          sigprocmask(SIG_SETMASK, &none, nullptr);
          slapd.Start();
          sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
        }
        if (!WriteFile(ready_file, ready_json(), 0644)) return 1;
        continue;
      }
      pollfd in{STDIN_FILENO, POLLIN, 0};
      if (watch_stdin && poll(&in, 1, 0) == 1) {
        char byte;
        if (read(STDIN_FILENO, &byte, 1) <= 0) break;
      }
    }
    if (slapd.pid() > 0) kill(slapd.pid(), SIGCONT);  // left stopped by a bench that died: let it take SIGTERM
  }
  std::filesystem::remove(ready_file);
  return 0;
}
