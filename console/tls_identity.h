#ifndef PUMPTRACK_CONSOLE_TLS_IDENTITY_H_
#define PUMPTRACK_CONSOLE_TLS_IDENTITY_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace pumptrack::console {

// The HTTPS server's certificate chain and key, read from PEM files and re-read when `reload_interval` has passed
// since the last read (checked at each TLS handshake), so rotated files take effect without a restart. A rotation
// that fails to load (unreadable, not PEM, key not matching the certificate) keeps the previous identity and is
// logged. Thread-safe.
class TlsIdentity {
 public:
  TlsIdentity(std::string cert_path, std::string key_path, absl::Duration reload_interval);
  ~TlsIdentity();

  // Reads the files now. INVALID_ARGUMENT naming the flag (--tls_cert, --tls_key) when they are unusable.
  absl::Status Load();

  // Makes `ctx` (TLS 1.2 or newer) present the current identity at every handshake. `this` must outlive `ctx`.
  void Install(SSL_CTX& ctx);

 private:
  struct Loaded;
  static int CertCallback(SSL* ssl, void* self);
  int Apply(SSL* ssl);

  const std::string cert_path_;
  const std::string key_path_;
  const absl::Duration reload_interval_;
  absl::Mutex mu_;
  std::shared_ptr<Loaded> current_ ABSL_GUARDED_BY(mu_);
  absl::Time loaded_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pumptrack::console

#endif  // PUMPTRACK_CONSOLE_TLS_IDENTITY_H_
