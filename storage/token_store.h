#ifndef PUMPTRACK_STORAGE_TOKEN_STORE_H_
#define PUMPTRACK_STORAGE_TOKEN_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "pumptrack/v1/auth.pb.h"
#include "storage/audit_log.h"
#include "storage/database.h"

namespace pumptrack::storage {

struct CreatedToken {
  v1::Token token;
  // The bearer secret. Returned once; only its hash is stored.
  std::string secret;
};

// People's bearer tokens. Secrets are 256-bit random values, stored only as SHA-256 hashes; every change is
// audited in the same write. All tokens are also held in memory, so authenticating a call never touches disk.
// Thread-safe.
class TokenStore {
 public:
  // Loads every token. `audit` must outlive the store.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Open(Database* database, AuditLog* audit);

  // INVALID_ARGUMENT for a bad name, role or ttl; ALREADY_EXISTS when a live hand-made token has the name (sessions,
  // named after their person, are not counted).
  absl::StatusOr<CreatedToken> Create(absl::string_view name, v1::Role role, absl::Duration ttl, const Actor& actor,
                                      absl::Time now);

  // The live token whose secret this is. UNAUTHENTICATED — with the same message — whether the secret is unknown,
  // revoked or expired, so callers learn nothing about which.
  absl::StatusOr<v1::Token> Authenticate(absl::string_view secret, absl::Time now) const;

  // Every token, ordered by creation time.
  std::vector<v1::Token> List() const;

  // Revokes the token with this id (idempotent). NOT_FOUND for an unknown id.
  absl::StatusOr<v1::Token> Revoke(absl::string_view id, const Actor& actor, absl::Time now);

  // A person's session token after a directory sign-in: named after `directory_user` (1-256 bytes, no control
  // characters; several live sessions may share it), expiring after `ttl` (positive, at most a day). Audited as
  // "session.create" with the person as actor. INVALID_ARGUMENT for a bad user, role or ttl.
  absl::StatusOr<CreatedToken> CreateSession(absl::string_view directory_user, absl::string_view display_name,
                                             v1::Role role, absl::Duration ttl, absl::Time now);

  // Live session tokens (directory_user set, neither revoked nor expired).
  std::vector<v1::Token> LiveSessions(absl::Time now) const;

  // Deletes session tokens that expired or were revoked before `before` (their audit entries stay). Returns how many.
  absl::StatusOr<int> DeleteEndedSessions(absl::Time before);

 private:
  TokenStore(Database* database, AuditLog* audit) : database_(database), audit_(audit) {}

  Database* const database_;
  AuditLog* const audit_;
  mutable absl::Mutex mu_;
  // SHA-256 of the secret -> token.
  absl::flat_hash_map<std::string, v1::Token> by_hash_ ABSL_GUARDED_BY(mu_);
};

// A one-line description of a token for logs and audit entries (never the secret).
std::string DescribeToken(const v1::Token& token);

// Role names and parsing live in common/ids.h; RoleName is also reachable as storage::RoleName.
using ids::RoleName;

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_TOKEN_STORE_H_
