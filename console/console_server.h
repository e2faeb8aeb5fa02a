#ifndef PUMPTRACK_CONSOLE_CONSOLE_SERVER_H_
#define PUMPTRACK_CONSOLE_CONSOLE_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "console/static_assets.h"
#include "grpcpp/channel.h"

namespace pumptrack::console {

// Who a bearer token belongs to, for GET /api/v1/session.
struct Session {
  std::string name;
  std::string role;  // "ROLE_ASSET_MANAGER"
};
// The session of a bearer secret; UNAUTHENTICATED (any code but OK) when it is not a valid token.
using SessionResolver = std::function<absl::StatusOr<Session>(absl::string_view secret)>;

struct ConsoleOptions {
  // host:port; port 0 picks a free one (see Console::port).
  std::string listen = "127.0.0.1:8443";
  // Plain HTTP (development and tests only). Otherwise HTTPS with tls_cert/tls_key, re-read every
  // tls_reload_interval (checked at handshakes), so rotated files take effect without a restart.
  bool insecure = false;
  std::string tls_cert;
  std::string tls_key;
  absl::Duration tls_reload_interval = absl::Seconds(60);
  // Largest request body; larger ones get 413.
  std::size_t max_body_bytes = 256 << 10;
  // Per client address: requests per second and burst; over it, 429.
  double rate_per_second = 50;
  double rate_burst = 200;
  // Deadline of each bridged gRPC call.
  absl::Duration call_deadline = absl::Seconds(15);
  // Comment lines on /api/v1/events while no event flows.
  absl::Duration keepalive_interval = absl::Seconds(15);
  // Open /api/v1/events streams at once; more get 503.
  int max_event_streams = 64;
  // Threads serving connections (each open event stream holds one).
  int threads = 96;
  // The pages served (WebAssets() in pumptrackd).
  std::span<const EmbeddedAsset> assets;
};

// The web console's HTTP(S) server: the embedded pages, the JSON bridge (console/bridge.h), GET /api/v1/session and
// the Server-Sent Events stream GET /api/v1/events (WatchFindings). Every response carries the security headers
// (CSP, nosniff, no-referrer, HSTS over TLS); /api responses are never cached. See docs/CONSOLE.md, "Server".
class Console {
 public:
  // Binds and starts serving. INVALID_ARGUMENT naming the flag for unusable options (bad listen address, missing or
  // unreadable TLS files), UNAVAILABLE when the address cannot be bound. `channel` is the gRPC server's in-process
  // channel and must stay usable until Shutdown returns.
  static absl::StatusOr<std::unique_ptr<Console>> Start(ConsoleOptions options, std::shared_ptr<grpc::Channel> channel,
                                                        SessionResolver session);

  // Shuts down (see Shutdown).
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  int port() const;

  // Stops listening, ends every open event stream and waits for every connection's thread. Returns within about a
  // second even with pages open. Idempotent.
  void Shutdown();

 private:
  struct State;
  explicit Console(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace pumptrack::console

#endif  // PUMPTRACK_CONSOLE_CONSOLE_SERVER_H_
