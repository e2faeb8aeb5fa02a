#include "storage/token_store.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "openssl/rand.h"
#include "storage/keys.h"
#include "storage/proto_time.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::string_view kSecretPrefix = "ptk_";
constexpr int kSecretBytes = 32;
constexpr absl::Duration kMaxTtl = absl::Hours(24 * 3653);

absl::StatusOr<std::string> RandomBytes(int count) {
  std::string bytes(static_cast<std::size_t>(count), '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), count) != 1) {
    return absl::InternalError("the system random number generator failed");
  }
  return bytes;
}

bool IsValidTokenName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-' || ch == '@';
  });
}

bool IsLive(const v1::Token& token, absl::Time now) {
  return !token.has_revoked_at() && (!token.has_expires_at() || ToAbslTime(token.expires_at()) > now);
}

}  // namespace

std::string DescribeToken(const v1::Token& token) {
  return absl::StrCat("id=", token.id(), " name=", token.name(), " role=", RoleName(token.role()),
                      token.has_expires_at() ? absl::StrCat(" expires=", TimeUtil::ToString(token.expires_at())) : "",
                      token.has_revoked_at() ? " revoked" : "");
}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(Database* database, AuditLog* audit) {
  auto store = std::unique_ptr<TokenStore>(new TokenStore(database, audit));
  std::unique_ptr<rocksdb::Iterator> it = database->NewIterator(ColumnFamily::kTokens, rocksdb::ReadOptions());
  absl::MutexLock lock(&store->mu_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::Token token;
    if (!token.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("a stored token does not parse");
    }
    std::string key(ToView(it->key()));
    store->by_hash_.emplace(key.substr(1), std::move(token));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "load tokens"));
  return store;
}

absl::StatusOr<CreatedToken> TokenStore::Create(absl::string_view name, v1::Role role, absl::Duration ttl,
                                                const Actor& actor, absl::Time now) {
  if (!IsValidTokenName(name)) {
    return absl::InvalidArgumentError("name: must be 1-64 characters from [A-Za-z0-9._@-]");
  }
  if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) {
    return absl::InvalidArgumentError("role: must be viewer, transport, asset_manager, auditor or admin");
  }
  if (ttl < absl::ZeroDuration() || ttl > kMaxTtl) {
    return absl::InvalidArgumentError("ttl: must be between 0 (no expiry) and 10 years");
  }
  absl::StatusOr<std::string> secret_bytes = RandomBytes(kSecretBytes);
  absl::StatusOr<std::string> id_bytes = RandomBytes(8);
  if (!secret_bytes.ok()) return secret_bytes.status();
  if (!id_bytes.ok()) return id_bytes.status();

  CreatedToken created;
  std::string encoded;
  absl::WebSafeBase64Escape(*secret_bytes, &encoded);
  created.secret = absl::StrCat(kSecretPrefix, encoded);
  v1::Token& token = created.token;
  token.set_id(absl::StrCat("tok_", absl::BytesToHexString(*id_bytes)));
  token.set_name(std::string(name));
  token.set_role(role);
  *token.mutable_created_at() = ToProtoTimestamp(now);
  if (ttl > absl::ZeroDuration()) *token.mutable_expires_at() = ToProtoTimestamp(now + ttl);
  token.set_created_by(actor.name);
  const std::string hash = Sha256(created.secret);

  absl::MutexLock lock(&mu_);
  for (const auto& [unused, existing] : by_hash_) {
    // Sessions (directory_user set) are named after the person and never clash with a hand-made token's name.
    if (existing.directory_user().empty() && existing.name() == token.name() && IsLive(existing, now)) {
      return absl::AlreadyExistsError(absl::StrCat("name: a live token named ", name, " exists"));
    }
  }
  rocksdb::WriteBatch batch;
  rocksdb::Status staged =
      batch.Put(database_->Handle(ColumnFamily::kTokens), keys::TokenKey(hash), token.SerializeAsString());
  if (!staged.ok()) return FromRocksDb(staged, "stage token");
  RETURN_IF_ERROR(audit_->Commit(batch, {actor, "token.create", token.id(), "", DescribeToken(token)}, now));
  by_hash_.emplace(hash, token);
  return created;
}

absl::StatusOr<CreatedToken> TokenStore::CreateSession(absl::string_view directory_user, absl::string_view display_name,
                                                       v1::Role role, absl::Duration ttl, absl::Time now) {
  const auto is_control = [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; };
  if (directory_user.empty() || directory_user.size() > 256 ||
      std::any_of(directory_user.begin(), directory_user.end(), is_control)) {
    return absl::InvalidArgumentError("directory_user: must be 1-256 bytes without control characters");
  }
  if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) return absl::InvalidArgumentError("role: is required");
  if (ttl <= absl::ZeroDuration() || ttl > absl::Hours(24)) {
    return absl::InvalidArgumentError("ttl: a session lasts more than 0 and at most 24 hours");
  }
  ASSIGN_OR_RETURN(std::string secret_bytes, RandomBytes(kSecretBytes));
  ASSIGN_OR_RETURN(std::string id_bytes, RandomBytes(8));
  CreatedToken created;
  std::string encoded;
  absl::WebSafeBase64Escape(secret_bytes, &encoded);
  created.secret = absl::StrCat(kSecretPrefix, encoded);
  v1::Token& token = created.token;
  token.set_id(absl::StrCat("ses_", absl::BytesToHexString(id_bytes)));
  token.set_name(std::string(directory_user));
  token.set_role(role);
  *token.mutable_created_at() = ToProtoTimestamp(now);
  *token.mutable_expires_at() = ToProtoTimestamp(now + ttl);
  token.set_created_by(std::string(directory_user));
  token.set_directory_user(std::string(directory_user));
  std::string display(display_name.substr(0, 256));
  std::replace_if(display.begin(), display.end(), is_control, ' ');
  token.set_display_name(std::move(display));
  const std::string hash = Sha256(created.secret);
  const Actor actor{v1::ACTOR_KIND_TOKEN, token.name()};

  absl::MutexLock lock(&mu_);
  rocksdb::WriteBatch batch;
  rocksdb::Status staged =
      batch.Put(database_->Handle(ColumnFamily::kTokens), keys::TokenKey(hash), token.SerializeAsString());
  if (!staged.ok()) return FromRocksDb(staged, "stage session");
  RETURN_IF_ERROR(audit_->Commit(batch, {actor, "session.create", token.id(), "", DescribeToken(token)}, now));
  by_hash_.emplace(hash, token);
  return created;
}

std::vector<v1::Token> TokenStore::LiveSessions(absl::Time now) const {
  std::vector<v1::Token> sessions;
  absl::MutexLock lock(&mu_);
  for (const auto& [unused, token] : by_hash_) {
    if (!token.directory_user().empty() && IsLive(token, now)) sessions.push_back(token);
  }
  return sessions;
}

absl::StatusOr<int> TokenStore::DeleteEndedSessions(absl::Time before) {
  absl::MutexLock lock(&mu_);
  rocksdb::WriteBatch batch;
  std::vector<std::string> ended;
  for (const auto& [hash, token] : by_hash_) {
    if (token.directory_user().empty()) continue;
    const bool expired = token.has_expires_at() && ToAbslTime(token.expires_at()) < before;
    const bool revoked = token.has_revoked_at() && ToAbslTime(token.revoked_at()) < before;
    if (!expired && !revoked) continue;
    rocksdb::Status staged = batch.Delete(database_->Handle(ColumnFamily::kTokens), keys::TokenKey(hash));
    if (!staged.ok()) return FromRocksDb(staged, "stage session deletion");
    ended.push_back(hash);
  }
  if (ended.empty()) return 0;
  RETURN_IF_ERROR(database_->Write(batch, /*sync=*/true));
  for (const std::string& hash : ended) by_hash_.erase(hash);
  return static_cast<int>(ended.size());
}

absl::StatusOr<v1::Token> TokenStore::Authenticate(absl::string_view secret, absl::Time now) const {
  const absl::Status refused = absl::UnauthenticatedError("missing, unknown, expired or revoked token");
  if (!absl::StartsWith(secret, kSecretPrefix) || secret.size() > 128) return refused;
  const std::string hash = Sha256(secret);
  absl::MutexLock lock(&mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end() || !IsLive(it->second, now)) return refused;
  return it->second;
}

std::vector<v1::Token> TokenStore::List() const {
  std::vector<v1::Token> tokens;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [unused, token] : by_hash_) tokens.push_back(token);
  }
  std::sort(tokens.begin(), tokens.end(), [](const v1::Token& a, const v1::Token& b) {
    return std::make_pair(ToAbslTime(a.created_at()), a.id()) < std::make_pair(ToAbslTime(b.created_at()), b.id());
  });
  return tokens;
}

absl::StatusOr<v1::Token> TokenStore::Revoke(absl::string_view id, const Actor& actor, absl::Time now) {
  absl::MutexLock lock(&mu_);
  for (auto& [hash, token] : by_hash_) {
    if (token.id() != id) continue;
    if (token.has_revoked_at()) return token;
    v1::Token revoked = token;
    *revoked.mutable_revoked_at() = ToProtoTimestamp(now);
    rocksdb::WriteBatch batch;
    rocksdb::Status staged =
        batch.Put(database_->Handle(ColumnFamily::kTokens), keys::TokenKey(hash), revoked.SerializeAsString());
    if (!staged.ok()) return FromRocksDb(staged, "stage token revocation");
    RETURN_IF_ERROR(
        audit_->Commit(batch, {actor, "token.revoke", token.id(), DescribeToken(token), DescribeToken(revoked)}, now));
    token = std::move(revoked);
    return token;
  }
  return absl::NotFoundError(absl::StrCat("id: no token ", id));
}

}  // namespace pumptrack::storage
