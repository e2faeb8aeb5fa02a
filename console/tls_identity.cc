#include "console/tls_identity.h"

#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "openssl/bio.h"
#include "openssl/pem.h"
#include "openssl/ssl.h"
#include "openssl/x509.h"
#include "spdlog/spdlog.h"

namespace pumptrack::console {

struct TlsIdentity::Loaded {
  X509* leaf = nullptr;
  STACK_OF(X509) * chain = nullptr;
  EVP_PKEY* key = nullptr;
  ~Loaded() {
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
  }
};

namespace {

absl::Status ReadFile(const std::string& path, absl::string_view flag, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  return absl::OkStatus();
}

}  // namespace

TlsIdentity::TlsIdentity(std::string cert_path, std::string key_path, absl::Duration reload_interval)
    : cert_path_(std::move(cert_path)), key_path_(std::move(key_path)), reload_interval_(reload_interval) {}

TlsIdentity::~TlsIdentity() = default;

absl::Status TlsIdentity::Load() {
  std::string cert_pem, key_pem;
  if (absl::Status read = ReadFile(cert_path_, "tls_cert", cert_pem); !read.ok()) return read;
  if (absl::Status read = ReadFile(key_path_, "tls_key", key_pem); !read.ok()) return read;
  auto loaded = std::make_shared<Loaded>();
  {
    BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    loaded->leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    loaded->chain = sk_X509_new_null();
    while (X509* next = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) sk_X509_push(loaded->chain, next);
    BIO_free(bio);
  }
  if (loaded->leaf == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--tls_cert: ", cert_path_, " holds no PEM certificate"));
  }
  {
    BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    loaded->key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
  }
  if (loaded->key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--tls_key: ", key_path_, " holds no PEM private key"));
  }
  if (X509_check_private_key(loaded->leaf, loaded->key) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key: ", key_path_, " does not match the certificate in ", cert_path_));
  }
  absl::MutexLock lock(&mu_);
  current_ = std::move(loaded);
  loaded_at_ = absl::Now();
  return absl::OkStatus();
}

void TlsIdentity::Install(SSL_CTX& ctx) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cert_cb(&ctx, &TlsIdentity::CertCallback, this);
}

int TlsIdentity::CertCallback(SSL* ssl, void* self) { return static_cast<TlsIdentity*>(self)->Apply(ssl); }

int TlsIdentity::Apply(SSL* ssl) {
  bool due;
  {
    absl::MutexLock lock(&mu_);
    due = absl::Now() - loaded_at_ >= reload_interval_;
    if (due) loaded_at_ = absl::Now();  // one reload per interval, whichever handshake comes first
  }
  if (due) {
    if (absl::Status reloaded = Load(); !reloaded.ok()) {
      spdlog::error("console TLS files not reloaded, keeping the previous certificate: {}",
                    std::string(reloaded.message()));
    }
  }
  std::shared_ptr<Loaded> identity;
  {
    absl::MutexLock lock(&mu_);
    identity = current_;
  }
  if (identity == nullptr) return 0;
  return SSL_use_cert_and_key(ssl, identity->leaf, identity->key, identity->chain, /*override=*/1) == 1 ? 1 : 0;
}

}  // namespace pumptrack::console
