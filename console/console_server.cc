#include "console/console_server.h"

#include <atomic>
#include <deque>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "console/bridge.h"
#include "console/http_status.h"
#include "console/json_fields.h"
#include "console/rate_limiter.h"
#include "console/tls_identity.h"
#include "grpcpp/client_context.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "pumptrack/v1/finding.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace pumptrack::console {
namespace {

constexpr absl::string_view kApiPrefix = "/api/";
constexpr absl::string_view kCallPrefix = "/api/v1/";
constexpr absl::string_view kBearer = "Bearer ";
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

bool IsApi(absl::string_view path) { return absl::StartsWith(path, kApiPrefix) || path == "/api"; }

void SetJsonError(httplib::Response& res, int http_status, grpc::StatusCode code, absl::string_view message,
                  absl::string_view field = "") {
  res.status = http_status;
  res.set_content(ErrorJson(code, message, field), "application/json");
}

// The gRPC code named in the body of an error the HTTP layer itself produced.
grpc::StatusCode CodeForHttp(int status) {
  switch (status) {
    case 400:
    case 411:
    case 415:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case 401:
      return grpc::StatusCode::UNAUTHENTICATED;
    case 403:
      return grpc::StatusCode::PERMISSION_DENIED;
    case 404:
    case 405:
      return grpc::StatusCode::NOT_FOUND;
    case 413:
    case 429:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case 503:
      return grpc::StatusCode::UNAVAILABLE;
    default:
      return grpc::StatusCode::UNKNOWN;
  }
}

absl::string_view ReasonFor(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 413:
      return "request body too large";
    case 414:
      return "request URI too long";
    case 429:
      return "too many requests; retry later";
    default:
      return "request refused";
  }
}

// Same origin: an Origin header, when present, must name the host the request was sent to (the Host header); a
// browser's Sec-Fetch-Site, when present, must not be cross-site or same-site (a sibling subdomain).
bool SameOrigin(const httplib::Request& req) {
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  if (site == "cross-site" || site == "same-site") return false;
  if (!req.has_header("Origin")) return true;
  const std::string origin_header = req.get_header_value("Origin");
  absl::string_view origin = origin_header;
  if (!absl::ConsumePrefix(&origin, "https://") && !absl::ConsumePrefix(&origin, "http://")) return false;
  const std::string host = req.get_header_value("Host");
  return !host.empty() && absl::EqualsIgnoreCase(origin, host);
}

bool IsJson(const httplib::Request& req) {
  const std::string header = req.get_header_value("Content-Type");
  absl::string_view type = header;
  type = type.substr(0, type.find(';'));
  return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(type), "application/json");
}

// The secret of "Authorization: Bearer <secret>", or empty.
absl::string_view BearerSecret(const std::string& authorization) {
  absl::string_view value = authorization;
  if (!absl::ConsumePrefix(&value, kBearer)) return {};
  return value;
}

// One WatchFindings call over the in-process channel, its events queued as protobuf JSON for the SSE writer.
class FindingStream final : public grpc::ClientReadReactor<v1::FindingEvent> {
 public:
  FindingStream(v1::FindingService::Stub& stub, const std::string& authorization, const std::string& client) {
    context_.AddMetadata("authorization", authorization);
    if (!client.empty()) context_.AddMetadata("x-pumptrack-console-client", client);
    stub.async()->WatchFindings(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  ~FindingStream() override {
    context_.TryCancel();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

  void OnReadInitialMetadataDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    subscribed_ = true;
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    std::string json = ToJson(event_);
    {
      absl::MutexLock lock(&mu_);
      subscribed_ = true;
      queue_.push_back(std::move(json));
    }
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
    subscribed_ = true;
    done_ = true;
  }

  // Waits until the server has subscribed this stream (or ended it), up to `timeout`. The final status when it
  // ended, OK otherwise.
  grpc::Status WaitSubscribed(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&subscribed_), timeout);
    return done_ ? status_ : grpc::Status::OK;
  }

  // Waits up to `timeout` for events; moves them into `out`. False once the stream has ended and all is taken.
  bool Take(absl::Duration timeout, std::deque<std::string>& out, grpc::Status& final_status) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ || !queue_.empty(); };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    out.swap(queue_);
    if (done_ && out.empty()) {
      final_status = status_;
      return false;
    }
    return true;
  }

 private:
  grpc::ClientContext context_;
  v1::WatchFindingsRequest request_;
  v1::FindingEvent event_;
  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool subscribed_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

struct Console::State {
  ConsoleOptions options;
  std::shared_ptr<grpc::Channel> channel;
  SessionResolver session;
  std::unique_ptr<Bridge> bridge;
  std::unique_ptr<v1::FindingService::Stub> findings;
  std::unique_ptr<StaticAssets> assets;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<TlsIdentity> identity;
  std::unique_ptr<httplib::Server> http;
  std::thread listener;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<int> open_streams{0};
  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;

  void ServeStatic(const httplib::Request& req, httplib::Response& res) const {
    const StaticAssets::File* file = assets->Find(req.path);
    if (file == nullptr) {
      res.status = 404;
      res.set_content("not found\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_content(file->body.data(), file->body.size(), std::string(file->content_type));
  }

  void ServeCall(const httplib::Request& req, httplib::Response& res) const {
    if (!IsJson(req)) {
      return SetJsonError(res, 415, grpc::StatusCode::INVALID_ARGUMENT, "Content-Type must be application/json");
    }
    absl::string_view method = req.path;
    method.remove_prefix(kCallPrefix.size());
    if (!bridge->Allows(method)) {
      return SetJsonError(res, 404, grpc::StatusCode::NOT_FOUND, "no such API method");
    }
    HttpReply reply = bridge->Call(method, req.get_header_value("Authorization"), req.body, req.remote_addr);
    res.status = reply.status;
    res.set_content(std::move(reply.body), "application/json");
  }

  void ServeSession(const httplib::Request& req, httplib::Response& res) const {
    const std::string authorization = req.get_header_value("Authorization");
    const absl::string_view secret = BearerSecret(authorization);
    absl::StatusOr<Session> found = secret.empty() ? absl::UnauthenticatedError("") : session(secret);
    if (!found.ok()) {
      return SetJsonError(res, 401, grpc::StatusCode::UNAUTHENTICATED, "missing, unknown, expired or revoked token");
    }
    nlohmann::json body = {{"name", found->name}, {"role", found->role}};
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
  }

  void ServeEvents(const httplib::Request& req, httplib::Response& res) {
    const std::string authorization = req.get_header_value("Authorization");
    const absl::string_view secret = BearerSecret(authorization);
    if (secret.empty() || !session(secret).ok()) {
      return SetJsonError(res, 401, grpc::StatusCode::UNAUTHENTICATED, "missing, unknown, expired or revoked token");
    }
    if (open_streams.fetch_add(1) >= options.max_event_streams) {
      open_streams.fetch_sub(1);
      return SetJsonError(res, 503, grpc::StatusCode::UNAVAILABLE, "too many open event streams; retry later");
    }
    auto stream = std::make_shared<FindingStream>(*findings, authorization, req.remote_addr);
    if (grpc::Status refused = stream->WaitSubscribed(absl::Seconds(5)); !refused.ok()) {
      stream.reset();
      open_streams.fetch_sub(1);
      return SetJsonError(res, HttpStatusFor(refused.error_code()), refused.error_code(), refused.error_message());
    }
    res.set_header("X-Accel-Buffering", "no");  // proxies (nginx ingress) must not buffer the stream
    auto last_write = std::make_shared<absl::Time>(absl::InfinitePast());
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, stream, last_write](std::size_t, httplib::DataSink& sink) {
          if (*last_write == absl::InfinitePast()) {
            // The first bytes: the subscription exists, so any finding raised from here on is delivered.
            *last_write = absl::Now();
            return sink.write(": connected\n\n", 13);
          }
          std::deque<std::string> events;
          grpc::Status final_status;
          const bool open = stream->Take(absl::Milliseconds(500), events, final_status);
          if (stopping.load()) {
            sink.done();
            return true;
          }
          std::string out;
          for (const std::string& event : events) absl::StrAppend(&out, "event: finding\ndata: ", event, "\n\n");
          if (!open) {
            absl::StrAppend(&out, "event: error\ndata: ",
                            ErrorJson(final_status.error_code(), final_status.error_message(), ""), "\n\n");
          } else if (out.empty() && absl::Now() - *last_write >= options.keepalive_interval) {
            out = ": keepalive\n\n";
          }
          if (!out.empty()) {
            if (!sink.write(out.data(), out.size())) return false;
            *last_write = absl::Now();
          }
          if (!open) sink.done();
          return true;
        },
        [this, stream](bool) mutable {
          stream.reset();  // cancels the call if still open
          open_streams.fetch_sub(1);
        });
  }
};

absl::StatusOr<std::unique_ptr<Console>> Console::Start(ConsoleOptions options, std::shared_ptr<grpc::Channel> channel,
                                                        SessionResolver session) {
  const std::size_t colon = options.listen.rfind(':');
  int requested_port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &requested_port) ||
      requested_port < 0 || requested_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--http_listen: '", options.listen, "' is not HOST:PORT"));
  }
  std::string host = options.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  auto state = std::make_unique<State>();
  state->options = options;
  state->channel = std::move(channel);
  state->session = std::move(session);
  state->bridge = std::make_unique<Bridge>(state->channel, options.call_deadline);
  state->findings = v1::FindingService::NewStub(state->channel);
  state->assets = std::make_unique<StaticAssets>(options.assets);
  state->limiter = std::make_unique<RateLimiter>(options.rate_per_second, options.rate_burst);
  const bool tls = !options.insecure;
  if (tls) {
    if (options.tls_cert.empty() || options.tls_key.empty()) {
      return absl::InvalidArgumentError(
          "the console needs --tls_cert and --tls_key for HTTPS (or --insecure for plain HTTP, development only)");
    }
    state->identity = std::make_unique<TlsIdentity>(options.tls_cert, options.tls_key, options.tls_reload_interval);
    if (absl::Status loaded = state->identity->Load(); !loaded.ok()) return loaded;
    TlsIdentity* identity = state->identity.get();
    auto server = std::make_unique<httplib::SSLServer>([identity](SSL_CTX& ctx) {
      identity->Install(ctx);
      return true;
    });
    if (!server->is_valid()) return absl::InternalError("cannot set up the console's TLS context");
    state->http = std::move(server);
  } else {
    state->http = std::make_unique<httplib::Server>();
  }
  httplib::Server& http = *state->http;
  State* s = state.get();

  httplib::Headers headers = {{"Content-Security-Policy", kContentSecurityPolicy},
                              {"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"X-Frame-Options", "DENY"},
                              {"Cross-Origin-Opener-Policy", "same-origin"}};
  if (tls) headers.emplace("Strict-Transport-Security", "max-age=31536000");
  http.set_default_headers(std::move(headers));
  http.set_payload_max_length(options.max_body_bytes);
  http.set_tcp_nodelay(true);  // small JSON answers must not wait for a delayed ACK (Nagle)
  http.set_keep_alive_max_count(1000);
  http.set_keep_alive_timeout(2);  // bounds how long Shutdown waits for an idle keep-alive connection
  http.set_read_timeout(10, 0);
  http.set_write_timeout(10, 0);
  const int threads = std::max(4, options.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };

  http.set_pre_routing_handler([s](const httplib::Request& req, httplib::Response& res) {
    const bool api = IsApi(req.path);
    if (api) res.set_header("Cache-Control", "no-store");
    if (!s->limiter->Admit(req.remote_addr)) {
      res.set_header("Retry-After", "1");
      if (api) {
        SetJsonError(res, 429, grpc::StatusCode::RESOURCE_EXHAUSTED, "too many requests; retry later");
      } else {
        res.status = 429;
        res.set_content("too many requests\n", "text/plain; charset=utf-8");
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    if (api && !SameOrigin(req)) {
      SetJsonError(res, 403, grpc::StatusCode::PERMISSION_DENIED, "cross-origin request refused");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.Get(R"([\s\S]*)", [s](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/api/v1/session") return s->ServeSession(req, res);
    if (req.path == "/api/v1/events") return s->ServeEvents(req, res);
    if (IsApi(req.path)) return SetJsonError(res, 404, grpc::StatusCode::NOT_FOUND, "not found");
    s->ServeStatic(req, res);
  });
  http.Post(R"([\s\S]*)", [s](const httplib::Request& req, httplib::Response& res) {
    if (!absl::StartsWith(req.path, kCallPrefix)) {
      return SetJsonError(res, 404, grpc::StatusCode::NOT_FOUND, "not found");
    }
    s->ServeCall(req, res);
  });
  // Every refusal the HTTP layer makes itself (413, 404 for other methods, 400 for a bad request line) gets a body;
  // a handler's own error body is kept.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (IsApi(req.path)) {
      res.set_header("Cache-Control", "no-store");
      SetJsonError(res, res.status, CodeForHttp(res.status), ReasonFor(res.status));
    } else {
      res.set_content(absl::StrCat(ReasonFor(res.status), "\n"), "text/plain; charset=utf-8");
    }
  });
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    SetJsonError(res, 500, grpc::StatusCode::INTERNAL, "internal error");
  });

  if (requested_port == 0) {
    state->port = http.bind_to_any_port(host);
  } else if (http.bind_to_port(host, requested_port)) {
    state->port = requested_port;
  }
  if (state->port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve the console on ", options.listen));
  }
  state->listener = std::thread([s] {
    if (!s->http->listen_after_bind() && !s->stopping.load()) spdlog::error("console: HTTP server stopped");
  });
  spdlog::info("console serving {} on {}:{} ({} embedded files)", tls ? "HTTPS" : "PLAIN HTTP", host, state->port,
               state->assets->size());
  return std::unique_ptr<Console>(new Console(std::move(state)));
}

Console::Console(std::unique_ptr<State> state) : state_(std::move(state)) {}

Console::~Console() { Shutdown(); }

int Console::port() const { return state_->port; }

void Console::Shutdown() {
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->shut_down) return;
    state_->shut_down = true;
  }
  state_->stopping.store(true);
  state_->http->stop();
  if (state_->listener.joinable()) state_->listener.join();
}

}  // namespace pumptrack::console
