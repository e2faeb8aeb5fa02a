#include "agents/hl7/mllp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "prometheus/family.h"
#include "spdlog/spdlog.h"

namespace pumptrack::agents::hl7 {
namespace {

constexpr char kStartBlock = 0x0B;
constexpr char kEndBlock = 0x1C;
constexpr char kCarriageReturn = 0x0D;

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

std::string Frame(absl::string_view message) {
  return absl::StrCat(std::string(1, kStartBlock), message, std::string{kEndBlock, kCarriageReturn});
}

}  // namespace

bool Cidr::Contains(uint32_t address) const {
  if (prefix == 0) return true;
  const uint32_t mask = prefix == 32 ? 0xFFFFFFFFu : ~((1u << (32 - prefix)) - 1);
  return (address & mask) == (network & mask);
}

absl::StatusOr<Cidr> ParseCidr(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  absl::string_view address = text;
  int prefix = 32;
  const size_t slash = text.find('/');
  if (slash != absl::string_view::npos) {
    address = text.substr(0, slash);
    if (!absl::SimpleAtoi(text.substr(slash + 1), &prefix) || prefix < 0 || prefix > 32) {
      return absl::InvalidArgumentError(absl::StrFormat("\"%s\": the prefix length must be 0-32", text));
    }
  }
  in_addr parsed{};
  if (inet_pton(AF_INET, std::string(address).c_str(), &parsed) != 1) {
    return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is not an IPv4 address or CIDR", text));
  }
  return Cidr{ntohl(parsed.s_addr), prefix};
}

absl::StatusOr<std::vector<Cidr>> ParseCidrList(absl::string_view text) {
  std::vector<Cidr> list;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    ASSIGN_OR_RETURN(Cidr cidr, ParseCidr(entry));
    list.push_back(cidr);
  }
  return list;
}

absl::Status GroupCommitter::Commit(std::vector<pumptrack::v1::Observation> observations) {
  if (observations.empty()) return absl::OkStatus();
  Request request;
  request.observations = std::move(observations);
  absl::MutexLock lock(&mu_);
  queue_.push_back(&request);
  while (!request.done) {
    if (writing_) {
      written_.Wait(&mu_);
      continue;
    }
    // Nobody is writing: write everything queued, this request included.
    writing_ = true;
    std::vector<Request*> batch;
    batch.swap(queue_);
    mu_.Unlock();
    std::vector<pumptrack::v1::Observation> all;
    size_t total = 0;
    for (Request* r : batch) total += r->observations.size();
    all.reserve(total);
    for (Request* r : batch) {
      for (pumptrack::v1::Observation& o : r->observations) all.push_back(std::move(o));
    }
    const absl::Status status = buffer_.Append(all);
    mu_.Lock();
    for (Request* r : batch) {
      r->status = status;
      r->done = true;
    }
    writing_ = false;
    written_.SignalAll();
  }
  return request.status;
}

struct MllpServer::Metrics {
  prometheus::Counter* connections_refused = nullptr;
  prometheus::Counter* accepted = nullptr;
  prometheus::Counter* errors = nullptr;
  prometheus::Counter* rejected = nullptr;
  prometheus::Counter* unknown_segments = nullptr;
  prometheus::Counter* unknown_codes = nullptr;
  prometheus::Counter* patient_segments = nullptr;
};

absl::StatusOr<std::unique_ptr<MllpServer>> MllpServer::Start(const MllpOptions& options, Mapper& mapper,
                                                              Buffer& buffer, prometheus::Registry* registry) {
  if (options.allow.empty()) return absl::InvalidArgumentError("--hl7_allow: at least one source must be allowed");
  if (options.max_message_bytes < 64) return absl::InvalidArgumentError("--hl7_max_message_bytes must be >= 64");
  if (options.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--hl7_idle_timeout must be positive");
  }
  const size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrFormat("--hl7_listen \"%s\" is not HOST:PORT", options.listen));
  }
  std::string host = options.listen.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty()) host = "0.0.0.0";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrFormat("--hl7_listen: \"%s\" is not an IPv4 address", host));
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrFormat("socket: %s", std::strerror(errno)));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(fd, 128) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    return absl::UnavailableError(absl::StrFormat("cannot listen on %s: %s", options.listen, error));
  }
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return std::unique_ptr<MllpServer>(new MllpServer(options, mapper, buffer, fd, ntohs(address.sin_port), registry));
}

MllpServer::MllpServer(const MllpOptions& options, Mapper& mapper, Buffer& buffer, int listen_fd, int port,
                       prometheus::Registry* registry)
    : options_(options),
      mapper_(mapper),
      committer_(buffer),
      listen_fd_(listen_fd),
      port_(port),
      metrics_(std::make_unique<Metrics>()) {
  if (registry != nullptr) {
    auto& messages = prometheus::BuildCounter()
                         .Name("pumptrack_agent_hl7_messages_total")
                         .Help("HL7 messages answered, by acknowledgement code (AA: durably buffered)")
                         .Register(*registry);
    metrics_->accepted = &messages.Add({{"ack", "AA"}});
    metrics_->errors = &messages.Add({{"ack", "AE"}});
    metrics_->rejected = &messages.Add({{"ack", "AR"}});
    metrics_->connections_refused = &prometheus::BuildCounter()
                                         .Name("pumptrack_agent_hl7_connections_refused_total")
                                         .Help("MLLP connections closed at accept (source not allowed, too many)")
                                         .Register(*registry)
                                         .Add({});
    auto& ignored = prometheus::BuildCounter()
                        .Name("pumptrack_agent_hl7_ignored_total")
                        .Help("Parts of HL7 messages ignored: unknown segments and OBX codes, patient segments")
                        .Register(*registry);
    metrics_->unknown_segments = &ignored.Add({{"what", "unknown_segment"}});
    metrics_->unknown_codes = &ignored.Add({{"what", "unknown_code"}});
    metrics_->patient_segments = &ignored.Add({{"what", "patient_segment"}});
  }
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

MllpServer::~MllpServer() {
  Stop();
  ::close(listen_fd_);
}

void MllpServer::Stop() {
  if (stopping_.exchange(true)) return;
  accept_thread_.join();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    for (Connection& connection : connections_) threads.push_back(std::move(connection.thread));
    connections_.clear();
  }
  for (std::thread& thread : threads) thread.join();
}

MllpCounters MllpServer::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

void MllpServer::Count(int64_t MllpCounters::*field, int64_t n) {
  if (n == 0) return;
  absl::MutexLock lock(&mu_);
  counters_.*field += n;
}

void MllpServer::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 200);
    if (ready <= 0) continue;
    sockaddr_in peer{};
    socklen_t length = sizeof(peer);
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const uint32_t source = ntohl(peer.sin_addr.s_addr);
    const bool allowed = std::any_of(options_.allow.begin(), options_.allow.end(),
                                     [&](const Cidr& cidr) { return cidr.Contains(source); });
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
    absl::MutexLock lock(&mu_);
    if (!allowed || active_ >= options_.max_connections) {
      ::close(fd);
      if (!allowed) {
        ++counters_.refused_not_allowed;
        spdlog::warn("hl7: refused a connection from {} (not in --hl7_allow)", text);
      } else {
        ++counters_.refused_too_many;
        spdlog::warn("hl7: refused a connection from {} ({} connections open)", text, active_);
      }
      if (metrics_->connections_refused != nullptr) metrics_->connections_refused->Increment();
      continue;
    }
    ++counters_.connections;
    ++active_;
    open_fds_.push_back(fd);
    const int nodelay = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay));
    // Join the threads of connections that have ended, then serve this one.
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
    Connection connection;
    connection.done = std::make_shared<std::atomic<bool>>(false);
    connection.thread = std::thread([this, fd, done = connection.done] {
      Serve(fd);
      done->store(true);
    });
    connections_.push_back(std::move(connection));
  }
}

void MllpServer::Serve(int fd) {
  std::string pending;
  std::string replies;
  char chunk[64 * 1024];
  const int idle_ms = static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(options_.idle_timeout), 1 << 30));
  while (!stopping_) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, idle_ms);
    if (ready == 0) {
      Count(&MllpCounters::idle_closed);
      break;
    }
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    const ssize_t received = ::recv(fd, chunk, sizeof(chunk), 0);
    if (received <= 0) break;
    pending.append(chunk, static_cast<size_t>(received));
    replies.clear();
    const bool keep_open = HandleFrames(pending, replies);
    if (!replies.empty() && !SendAll(fd, replies)) break;
    if (!keep_open) break;
  }
  absl::MutexLock lock(&mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
  --active_;
}

bool MllpServer::HandleFrames(std::string& pending, std::string& replies) {
  struct Parsed {
    std::optional<Message> message;
    MappedMessage mapped;
    std::string unparsable;  // why, when message is empty
  };
  std::vector<Parsed> frames;
  size_t consumed = 0;
  bool keep_open = true;
  while (true) {
    const size_t start = pending.find(kStartBlock, consumed);
    if (start == std::string::npos) {
      consumed = pending.size();  // bytes outside a frame are noise
      break;
    }
    const size_t end = pending.find(std::string{kEndBlock, kCarriageReturn}, start + 1);
    if (end == std::string::npos) {
      consumed = start;
      if (pending.size() - start > options_.max_message_bytes + 2) {
        Parsed too_big;
        too_big.unparsable = absl::StrFormat("message larger than %d bytes", options_.max_message_bytes);
        frames.push_back(std::move(too_big));
        consumed = pending.size();
        keep_open = false;
      }
      break;
    }
    const absl::string_view body(pending.data() + start + 1, end - start - 1);
    Parsed parsed;
    if (body.size() > options_.max_message_bytes) {
      parsed.unparsable = absl::StrFormat("message larger than %d bytes", options_.max_message_bytes);
      keep_open = false;
    } else {
      absl::StatusOr<Message> message = Message::Parse(body);
      if (!message.ok()) {
        parsed.unparsable = std::string(message.status().message());
      } else {
        parsed.mapped = mapper_.Map(*message, absl::Now());
        parsed.message = *std::move(message);
      }
    }
    frames.push_back(std::move(parsed));
    consumed = end + 2;
  }
  pending.erase(0, consumed);
  if (frames.empty()) return keep_open;

  // One durable write for every usable message of this read (and of other connections writing at the same time).
  std::vector<pumptrack::v1::Observation> observations;
  for (Parsed& frame : frames) {
    if (!frame.message || frame.mapped.rejection) continue;
    for (pumptrack::v1::Observation& o : frame.mapped.observations) observations.push_back(o);
  }
  const size_t observation_count = observations.size();
  const absl::Status written = committer_.Commit(std::move(observations));
  if (!written.ok()) spdlog::error("hl7: could not buffer {} observations: {}", observation_count, written.ToString());

  const absl::Time now = absl::Now();
  int64_t accepted = 0, errors = 0, rejected = 0, unknown_segments = 0, unknown_codes = 0, patient = 0;
  for (Parsed& frame : frames) {
    const std::string control_id = absl::StrCat("PT", next_ack_id_.fetch_add(1));
    if (!frame.message) {
      ++rejected;
      spdlog::warn("hl7: rejected an unreadable message: {}", frame.unparsable);
      absl::StrAppend(&replies, Frame(BuildAckForUnparsable(frame.unparsable, control_id, now)));
      continue;
    }
    unknown_segments += frame.mapped.unknown_segments;
    unknown_codes += frame.mapped.unknown_codes;
    patient += frame.mapped.patient_segments;
    std::optional<Rejection> rejection = frame.mapped.rejection;
    if (!rejection && !written.ok()) {
      rejection =
          Rejection{AckCode::kError, FieldLocation{"MSH", 1, 0}, 207, absl::StrCat("not stored: ", written.message())};
    }
    const AckCode code = rejection ? rejection->code : AckCode::kAccept;
    if (code == AckCode::kAccept) ++accepted;
    if (code == AckCode::kError) ++errors;
    if (code == AckCode::kReject) ++rejected;
    if (rejection) {
      spdlog::warn("hl7: answered {} to message {}: {}", code == AckCode::kReject ? "AR" : "AE",
                   frame.message->Get(frame.message->msh(), 10), rejection->reason);
    }
    const AckPlan plan = PlanAck(AckRequestOf(*frame.message), code);
    if (!plan.send) continue;
    absl::StrAppend(&replies,
                    Frame(BuildAck(*frame.message, plan, rejection ? &*rejection : nullptr, control_id, now)));
  }
  {
    absl::MutexLock lock(&mu_);
    counters_.accepted += accepted;
    counters_.errors += errors;
    counters_.rejected += rejected;
    counters_.observations += written.ok() ? static_cast<int64_t>(observation_count) : 0;
    counters_.unknown_segments += unknown_segments;
    counters_.unknown_codes += unknown_codes;
    counters_.patient_segments += patient;
  }
  if (metrics_->accepted != nullptr) {
    metrics_->accepted->Increment(static_cast<double>(accepted));
    metrics_->errors->Increment(static_cast<double>(errors));
    metrics_->rejected->Increment(static_cast<double>(rejected));
    metrics_->unknown_segments->Increment(static_cast<double>(unknown_segments));
    metrics_->unknown_codes->Increment(static_cast<double>(unknown_codes));
    metrics_->patient_segments->Increment(static_cast<double>(patient));
  }
  return keep_open;
}

}  // namespace pumptrack::agents::hl7
