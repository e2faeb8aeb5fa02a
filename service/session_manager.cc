#include "service/session_manager.h"

#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "openssl/crypto.h"
#include "spdlog/spdlog.h"
#include "storage/proto_time.h"

namespace pumptrack::service {
namespace {

constexpr absl::string_view kUniformRefusal = "unknown user or wrong password";
// Ended sessions are deleted from the token store this long after they end (their audit entries stay).
constexpr absl::Duration kKeepEndedSessions = absl::Hours(24);

const storage::Actor& RefreshActor() {
  static const storage::Actor* actor = new storage::Actor{v1::ACTOR_KIND_SERVICE, "directory-refresh"};
  return *actor;
}

// A user name as it may appear in a log or audit line: control characters replaced, at most 128 bytes.
std::string Printable(absl::string_view text) {
  std::string out(text.substr(0, 128));
  for (char& ch : out) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  }
  return out;
}

}  // namespace

SessionManager::SessionManager(const directory::LdapDirectory* directory, directory::RoleMap roles,
                               storage::TokenStore* tokens, storage::AuditLog* audit, SessionOptions options)
    : directory_(directory),
      roles_(std::move(roles)),
      tokens_(tokens),
      audit_(audit),
      options_([&] {
        if (!options.clock) options.clock = [] { return absl::Now(); };
        return std::move(options);
      }()),
      limiter_(options_.limits) {}

SessionManager::~SessionManager() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (refresher_.joinable()) refresher_.join();
}

void SessionManager::Start() {
  if (directory_ == nullptr || options_.refresh_interval <= absl::ZeroDuration()) return;
  refresher_ = std::thread([this] { RefreshLoop(); });
}

bool SessionManager::Throttled(absl::string_view user, absl::string_view source) {
  return limiter_.Throttled(user, source, options_.clock());
}

absl::Status SessionManager::AuditDenied(absl::string_view username, absl::string_view source, absl::string_view reason,
                                         absl::Time now) {
  rocksdb::WriteBatch batch;
  return audit_
      ->Commit(batch,
               {{v1::ACTOR_KIND_SERVICE, "sign-in"},
                "session.denied",
                Printable(username),
                "",
                absl::StrCat(reason, " (from ", Printable(source), ")")},
               now)
      .status();
}

absl::StatusOr<v1::SignInResponse> SessionManager::SignIn(absl::string_view username, std::string& password,
                                                          absl::string_view source) {
  std::string secret = std::move(password);
  password.clear();
  if (directory_ == nullptr) {
    OPENSSL_cleanse(secret.data(), secret.size());
    return absl::FailedPreconditionError("sign-in with a directory account is not configured on this server");
  }
  const absl::Time started = options_.clock();
  if (limiter_.Throttled(username, source, started)) {
    OPENSSL_cleanse(secret.data(), secret.size());
    spdlog::info("sign-in of {} from {} throttled", Printable(username), Printable(source));
    return absl::ResourceExhaustedError("too many failed sign-ins; retry later");
  }
  absl::StatusOr<directory::Person> person = directory_->Authenticate(username, secret);  // wipes `secret`
  const absl::Time now = options_.clock();
  std::string reason;
  v1::Role role = v1::ROLE_UNSPECIFIED;
  if (!person.ok()) {
    if (person.status().code() != absl::StatusCode::kUnauthenticated) {
      spdlog::warn("sign-in of {}: {}", Printable(username), std::string(person.status().message()));
      return absl::UnavailableError("the directory is unavailable; retry later (existing sessions keep working)");
    }
    reason = std::string(person.status().message());
  } else {
    role = roles_.RoleFor(person->groups);
    if (role == v1::ROLE_UNSPECIFIED) reason = "in no mapped group";
  }
  if (!reason.empty()) {
    limiter_.RecordFailure(username, source, now);
    spdlog::info("sign-in of {} from {} refused: {}", Printable(username), Printable(source), reason);
    if (absl::Status audited = AuditDenied(username, source, reason, now); !audited.ok()) {
      spdlog::error("could not audit a refused sign-in: {}", audited.ToString());
    }
    return absl::UnauthenticatedError(kUniformRefusal);
  }
  ASSIGN_OR_RETURN(storage::CreatedToken created,
                   tokens_->CreateSession(person->username, person->display_name, role, options_.ttl, now));
  spdlog::info("{} signed in from {} as {} (session {})", Printable(person->username), Printable(source),
               ids::RoleName(role), created.token.id());
  v1::SignInResponse response;
  response.set_token(std::move(created.secret));
  *response.mutable_expires_at() = created.token.expires_at();
  response.set_role(role);
  response.set_display_name(created.token.display_name());
  return response;
}

absl::StatusOr<int> SessionManager::Refresh() {
  if (directory_ == nullptr) return 0;
  const absl::Time now = options_.clock();
  std::map<std::string, std::vector<v1::Token>> by_user;
  for (v1::Token& token : tokens_->LiveSessions(now)) by_user[token.directory_user()].push_back(std::move(token));
  int revoked = 0;
  absl::Status first_error;
  for (const auto& [user, sessions] : by_user) {
    absl::StatusOr<directory::Person> person = directory_->Lookup(user);
    std::string why;
    v1::Role role = v1::ROLE_UNSPECIFIED;
    if (!person.ok()) {
      if (person.status().code() != absl::StatusCode::kUnauthenticated) {
        refreshes_skipped_.fetch_add(sessions.size(), std::memory_order_relaxed);
        spdlog::warn("session refresh of {} skipped: {}", Printable(user), std::string(person.status().message()));
        continue;  // the directory did not answer: sessions stay
      }
      why = std::string(person.status().message());
    } else {
      role = roles_.RoleFor(person->groups);
      if (role == v1::ROLE_UNSPECIFIED) why = "in no mapped group";
    }
    for (const v1::Token& session : sessions) {
      std::string ended = why;
      if (ended.empty() && session.role() != role) {
        ended = absl::StrCat("role changed to ", ids::RoleName(role), "; sign in again");
      }
      if (ended.empty()) continue;
      absl::StatusOr<v1::Token> done = tokens_->Revoke(session.id(), RefreshActor(), options_.clock());
      if (!done.ok()) {
        if (first_error.ok()) first_error = done.status();
        continue;
      }
      ++revoked;
      spdlog::info("session {} of {} ended at refresh: {}", session.id(), Printable(user), ended);
    }
  }
  if (absl::StatusOr<int> deleted = tokens_->DeleteEndedSessions(now - kKeepEndedSessions); !deleted.ok()) {
    if (first_error.ok()) first_error = deleted.status();
  }
  if (!first_error.ok()) return first_error;
  return revoked;
}

void SessionManager::RefreshLoop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    const absl::Time deadline = absl::Now() + options_.refresh_interval;
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithDeadline(absl::Condition(&stop), deadline)) return;
    mu_.Unlock();
    absl::StatusOr<int> refreshed = Refresh();
    if (!refreshed.ok()) spdlog::error("session refresh: {}", refreshed.status().ToString());
    mu_.Lock();
  }
}

}  // namespace pumptrack::service
