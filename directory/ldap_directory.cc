#include "directory/ldap_directory.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <cstring>
#include <utility>

#define LDAP_DEPRECATED 0
#include <lber.h>
#include <ldap.h>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "directory/filter.h"
#include "openssl/crypto.h"
#include "spdlog/spdlog.h"

namespace pumptrack::directory {
namespace {

struct LdapCloser {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using LdapHandle = std::unique_ptr<LDAP, LdapCloser>;

struct MessageFreer {
  void operator()(LDAPMessage* message) const { ldap_msgfree(message); }
};
using LdapMessagePtr = std::unique_ptr<LDAPMessage, MessageFreer>;

timeval AsTimeval(absl::Duration duration) { return absl::ToTimeval(duration); }

void Wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

// Codes that mean the directory could not answer (as opposed to answering "no").
bool IsUnavailable(int code) {
  return code == LDAP_SERVER_DOWN || code == LDAP_TIMEOUT || code == LDAP_CONNECT_ERROR || code == LDAP_UNAVAILABLE ||
         code == LDAP_BUSY || code == LDAP_TIMELIMIT_EXCEEDED || code == LDAP_LOCAL_ERROR ||
         code == LDAP_ADMINLIMIT_EXCEEDED || code == LDAP_UNWILLING_TO_PERFORM || code == LDAP_OTHER;
}

absl::Status Unavailable(absl::string_view step, int code) {
  return absl::UnavailableError(absl::StrCat("the directory is unavailable (", step, ": ", ldap_err2string(code), ")"));
}

// Bounds reads and writes on the connection's socket, so a server that accepts and never answers (during the TLS
// handshake too, which LDAP_OPT_TIMEOUT does not cover) cannot hold a worker.
int SetSocketTimeouts(LDAP* /*ld*/, Sockbuf* sb, LDAPURLDesc* /*srv*/, struct sockaddr* /*addr*/,
                      struct ldap_conncb* ctx) {
  int fd = -1;
  if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0) return 0;
  const timeval* timeout = static_cast<const timeval*>(ctx->lc_arg);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, sizeof(*timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeout, sizeof(*timeout));
  return 0;
}
void ForgetConnection(LDAP* /*ld*/, Sockbuf* /*sb*/, struct ldap_conncb* /*ctx*/) {}

std::vector<std::string> Values(LDAP* ld, LDAPMessage* entry, const char* attribute) {
  std::vector<std::string> values;
  berval** found = ldap_get_values_len(ld, entry, attribute);
  if (found == nullptr) return values;
  for (int i = 0; found[i] != nullptr; ++i) values.emplace_back(found[i]->bv_val, found[i]->bv_len);
  ldap_value_free_len(found);
  return values;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LdapDirectory>> LdapDirectory::Create(LdapOptions options) {
  for (absl::string_view url : absl::StrSplit(options.url, ' ', absl::SkipEmpty())) {
    if (!absl::StartsWithIgnoreCase(url, "ldaps://") && !absl::StartsWithIgnoreCase(url, "ldap://")) {
      return absl::InvalidArgumentError("ldap_url: must be ldaps://HOST[:PORT] or ldap://HOST[:PORT] (StartTLS)");
    }
  }
  if (options.url.empty()) return absl::InvalidArgumentError("ldap_url: is required");
  if (ldap_is_ldap_url(options.url.c_str()) == 0 && ldap_is_ldaps_url(options.url.c_str()) == 0) {
    return absl::InvalidArgumentError("ldap_url: not an LDAP URL");
  }
  if (options.user_base.empty()) return absl::InvalidArgumentError("ldap_user_base: is required");
  if (absl::Status checked = UserFilter(options.user_filter, "x").status(); !checked.ok()) return checked;
  if (options.network_timeout <= absl::ZeroDuration() || options.operation_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("ldap_timeout: must be positive");
  }
  // The attribute compared with {user}: the name just before "={user}" (uid, sAMAccountName, ...).
  std::string attribute;
  const std::size_t at = options.user_filter.find("={user}");
  if (at != std::string::npos) {
    std::size_t start = at;
    while (start > 0 && (absl::ascii_isalnum(static_cast<unsigned char>(options.user_filter[start - 1])) ||
                         options.user_filter[start - 1] == '-' || options.user_filter[start - 1] == ';')) {
      --start;
    }
    attribute = options.user_filter.substr(start, at - start);
  }
  return std::unique_ptr<LdapDirectory>(new LdapDirectory(std::move(options), std::move(attribute)));
}

absl::StatusOr<Person> LdapDirectory::Authenticate(absl::string_view user, std::string& password) const {
  absl::Cleanup wipe = [&password] { Wipe(password); };
  if (password.empty()) {
    // An empty password is an anonymous ("unauthenticated") simple bind, which many servers accept: never a sign-in.
    return absl::UnauthenticatedError("empty password");
  }
  return Find(user, &password);
}

absl::StatusOr<Person> LdapDirectory::Lookup(absl::string_view user) const { return Find(user, nullptr); }

absl::StatusOr<Person> LdapDirectory::Find(absl::string_view user, std::string* password) const {
  if (user.empty()) return absl::UnauthenticatedError("empty user name");
  absl::StatusOr<std::string> filter = UserFilter(options_.user_filter, user);
  if (!filter.ok()) return filter.status();

  // Declared before the handle: libldap calls the callback until the handle is freed.
  timeval socket_timeout = AsTimeval(std::max(options_.network_timeout, options_.operation_timeout));
  ldap_conncb callback{&SetSocketTimeouts, &ForgetConnection, &socket_timeout};
  LDAP* raw = nullptr;
  int code = ldap_initialize(&raw, options_.url.c_str());
  if (code != LDAP_SUCCESS) return Unavailable("initialize", code);
  LdapHandle ld(raw);

  const int version = LDAP_VERSION3;
  ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  const timeval network_timeout = AsTimeval(options_.network_timeout);
  const timeval operation_timeout = AsTimeval(options_.operation_timeout);
  ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &network_timeout);
  ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &operation_timeout);
  ldap_set_option(ld.get(), LDAP_OPT_CONNECT_CB, &callback);
  // With asynchronous connect, libldap bounds the TLS handshake by LDAP_OPT_NETWORK_TIMEOUT too (tls2.c); without
  // it, a server that accepts and never answers holds the handshake forever.
  ldap_set_option(ld.get(), LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON);
  const int demand = LDAP_OPT_X_TLS_DEMAND;
  ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
  if (!options_.ca_file.empty()) ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, options_.ca_file.c_str());
  const int new_context = 0;
  ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &new_context);

  if (!absl::StartsWithIgnoreCase(options_.url, "ldaps://")) {
    code = ldap_start_tls_s(ld.get(), nullptr, nullptr);
    if (code != LDAP_SUCCESS) {
      const bool no_answer = code == LDAP_SERVER_DOWN || code == LDAP_TIMEOUT || code == LDAP_CONNECT_ERROR;
      if (!options_.allow_cleartext || no_answer) {
        return Unavailable("StartTLS", code);
      }
      spdlog::warn("the directory refused StartTLS ({}); binding in CLEARTEXT because of --insecure",
                   ldap_err2string(code));
    }
  }

  // pumptrack's own bind, for the search.
  {
    berval credentials{static_cast<ber_len_t>(options_.bind_password.size()),
                       const_cast<char*>(options_.bind_password.data())};
    code = ldap_sasl_bind_s(ld.get(), options_.bind_dn.empty() ? nullptr : options_.bind_dn.c_str(), LDAP_SASL_SIMPLE,
                            &credentials, nullptr, nullptr, nullptr);
    if (code != LDAP_SUCCESS) {
      if (!IsUnavailable(code)) spdlog::error("the directory refused pumptrack's bind DN: {}", ldap_err2string(code));
      return Unavailable("bind as --ldap_bind_dn", code);
    }
  }

  std::vector<const char*> attributes = {"displayName", "cn", "memberOf", "pwdAccountLockedTime", "userAccountControl"};
  if (!user_attribute_.empty()) attributes.push_back(user_attribute_.c_str());
  attributes.push_back(nullptr);
  LDAPMessage* raw_result = nullptr;
  timeval search_timeout = operation_timeout;
  code = ldap_search_ext_s(ld.get(), options_.user_base.c_str(), LDAP_SCOPE_SUBTREE, filter->c_str(),
                           const_cast<char**>(attributes.data()), 0, nullptr, nullptr, &search_timeout,
                           /*sizelimit=*/2, &raw_result);
  LdapMessagePtr result(raw_result);
  if (code == LDAP_SIZELIMIT_EXCEEDED) return absl::UnauthenticatedError("more than one account matches");
  if (code == LDAP_NO_SUCH_OBJECT) return absl::UnauthenticatedError("no such user");
  if (code != LDAP_SUCCESS) return Unavailable("search", code);
  const int entries = ldap_count_entries(ld.get(), result.get());
  if (entries == 0) return absl::UnauthenticatedError("no such user");
  if (entries > 1) return absl::UnauthenticatedError("more than one account matches");
  LDAPMessage* entry = ldap_first_entry(ld.get(), result.get());

  Person person;
  {
    char* dn = ldap_get_dn(ld.get(), entry);
    if (dn == nullptr) return Unavailable("read DN", LDAP_OTHER);
    person.dn = dn;
    ldap_memfree(dn);
  }
  if (!Values(ld.get(), entry, "pwdAccountLockedTime").empty()) return absl::UnauthenticatedError("account locked");
  for (const std::string& control : Values(ld.get(), entry, "userAccountControl")) {
    long flags = 0;
    if (absl::SimpleAtoi(control, &flags) && (flags & 0x2) != 0) return absl::UnauthenticatedError("account disabled");
  }
  std::vector<std::string> names =
      user_attribute_.empty() ? std::vector<std::string>{} : Values(ld.get(), entry, user_attribute_.c_str());
  person.username = names.empty() ? std::string(user) : names.front();
  for (const char* attribute : {"displayName", "cn"}) {
    std::vector<std::string> values = Values(ld.get(), entry, attribute);
    if (!values.empty()) {
      person.display_name = values.front();
      break;
    }
  }
  if (person.display_name.empty()) person.display_name = person.username;
  person.groups = Values(ld.get(), entry, "memberOf");

  if (!options_.group_base.empty()) {
    const std::string dn = EscapeFilterValue(person.dn);
    const std::string group_filter = absl::StrCat("(|(member=", dn, ")(uniqueMember=", dn, "))");
    const char* no_attributes[] = {LDAP_NO_ATTRS, nullptr};
    LDAPMessage* raw_groups = nullptr;
    timeval group_timeout = operation_timeout;
    code = ldap_search_ext_s(ld.get(), options_.group_base.c_str(), LDAP_SCOPE_SUBTREE, group_filter.c_str(),
                             const_cast<char**>(no_attributes), 0, nullptr, nullptr, &group_timeout,
                             /*sizelimit=*/1000, &raw_groups);
    LdapMessagePtr groups(raw_groups);
    if (code != LDAP_SUCCESS && code != LDAP_NO_SUCH_OBJECT) return Unavailable("group search", code);
    for (LDAPMessage* group = ldap_first_entry(ld.get(), groups.get()); group != nullptr;
         group = ldap_next_entry(ld.get(), group)) {
      char* group_dn = ldap_get_dn(ld.get(), group);
      if (group_dn == nullptr) continue;
      person.groups.emplace_back(group_dn);
      ldap_memfree(group_dn);
    }
  }

  if (password != nullptr) {
    berval credentials{static_cast<ber_len_t>(password->size()), password->data()};
    code = ldap_sasl_bind_s(ld.get(), person.dn.c_str(), LDAP_SASL_SIMPLE, &credentials, nullptr, nullptr, nullptr);
    Wipe(*password);
    if (code == LDAP_INVALID_CREDENTIALS || code == LDAP_INAPPROPRIATE_AUTH || code == LDAP_CONSTRAINT_VIOLATION) {
      return absl::UnauthenticatedError("wrong password or account locked");
    }
    if (code != LDAP_SUCCESS) return Unavailable("bind as the person", code);
  }
  return person;
}

}  // namespace pumptrack::directory
