#ifndef PUMPTRACK_SERVICE_SESSION_MANAGER_H_
#define PUMPTRACK_SERVICE_SESSION_MANAGER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "directory/ldap_directory.h"
#include "directory/role_map.h"
#include "pumptrack/v1/auth.pb.h"
#include "service/sign_in_limiter.h"
#include "storage/audit_log.h"
#include "storage/token_store.h"

namespace pumptrack::service {

struct SessionOptions {
  // How long a session token lives (--ldap_session_ttl).
  absl::Duration ttl = absl::Hours(8);
  // How often every live session's groups are read again (--ldap_refresh_interval); 0: no background refresh (tests
  // call Refresh).
  absl::Duration refresh_interval = absl::Minutes(5);
  SignInLimits limits;
  std::function<absl::Time()> clock;
};

// People's sessions from directory sign-ins: SignIn checks the password with the directory and issues a session
// token; a background thread re-reads each signed-in person's groups every refresh_interval and revokes sessions of
// people who lost every mapped group (or whose role changed), were disabled or removed. While the directory is
// unreachable, sessions stay as they are. SignIn and Refresh block on the directory: call them from worker threads,
// never from gRPC's. Thread-safe.
class SessionManager {
 public:
  // `directory` may be null (no --ldap_url): SignIn is then FAILED_PRECONDITION. Pointers must outlive the manager.
  SessionManager(const directory::LdapDirectory* directory, directory::RoleMap roles, storage::TokenStore* tokens,
                 storage::AuditLog* audit, SessionOptions options);
  // Stops the refresh thread.
  ~SessionManager();

  // Starts the background refresh (when refresh_interval > 0).
  void Start();

  bool enabled() const { return directory_ != nullptr; }

  // Cheap, in-memory: whether `user` or `source` has too many recent failures (RESOURCE_EXHAUSTED before any work).
  bool Throttled(absl::string_view user, absl::string_view source);

  // Signs `username` in. UNAUTHENTICATED with one message for every reason a person may not sign in (unknown,
  // disabled, wrong password, no mapped group); each such failure is counted against the user and `source` and
  // audited ("session.denied", with the reason). RESOURCE_EXHAUSTED when throttled. UNAVAILABLE when the directory
  // cannot be reached. `password` is wiped before this returns.
  absl::StatusOr<v1::SignInResponse> SignIn(absl::string_view username, std::string& password,
                                            absl::string_view source);

  // Re-reads the groups of every live session's person once; returns how many sessions were revoked.
  absl::StatusOr<int> Refresh();

  // Sessions kept because the directory was unreachable during a refresh (cumulative).
  std::uint64_t refreshes_skipped() const { return refreshes_skipped_.load(std::memory_order_relaxed); }

 private:
  void RefreshLoop();
  absl::Status AuditDenied(absl::string_view username, absl::string_view source, absl::string_view reason,
                           absl::Time now);

  const directory::LdapDirectory* const directory_;
  const directory::RoleMap roles_;
  storage::TokenStore* const tokens_;
  storage::AuditLog* const audit_;
  const SessionOptions options_;
  SignInLimiter limiter_;
  std::atomic<std::uint64_t> refreshes_skipped_{0};

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread refresher_;
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_SESSION_MANAGER_H_
