// The HL7 adapter's MLLP listener: accepts ORU^R01 messages from pump gateways, RTLS engines and integration engines,
// writes what they say to the agent's durable buffer, and only then acknowledges them.
//
// MLLP has no TLS and no authentication: bind to loopback (the default) or the device VLAN, or put the integration
// engine in front, and list the allowed sources with MllpOptions::allow.
#ifndef PUMPTRACK_AGENTS_HL7_MLLP_SERVER_H_
#define PUMPTRACK_AGENTS_HL7_MLLP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agents/adapter.h"
#include "agents/buffer.h"
#include "agents/hl7/mapping.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace pumptrack::agents::hl7 {

// An IPv4 network, e.g. 10.20.0.0/16.
struct Cidr {
  uint32_t network = 0;  // host byte order
  int prefix = 32;
  bool Contains(uint32_t address) const;
};

// Parses "A.B.C.D/N" or "A.B.C.D" (a /32). INVALID_ARGUMENT otherwise.
absl::StatusOr<Cidr> ParseCidr(absl::string_view text);
// Parses a comma-separated list; an empty string is an empty list. INVALID_ARGUMENT naming the bad entry.
absl::StatusOr<std::vector<Cidr>> ParseCidrList(absl::string_view text);

struct MllpOptions {
  // IPv4 host:port to listen on; port 0 picks a free one (see MllpServer::port).
  std::string listen = "127.0.0.1:2575";
  // Sources allowed to connect. Everyone else is closed at accept and counted. Never empty (Start refuses it).
  std::vector<Cidr> allow;
  // Largest message accepted; a bigger frame is answered AR and the connection closed.
  size_t max_message_bytes = 1 << 20;
  // A connection with nothing received for this long is closed.
  absl::Duration idle_timeout = absl::Minutes(5);
  // Connections served at once; more are closed at accept and counted.
  int max_connections = 64;
};

// What the listener did, for metrics and tests. Monotonic.
struct MllpCounters {
  int64_t connections = 0;
  int64_t refused_not_allowed = 0;
  int64_t refused_too_many = 0;
  int64_t accepted = 0;  // AA/CA: written to the buffer first
  int64_t errors = 0;    // AE/CE
  int64_t rejected = 0;  // AR/CR (wrong message type, unparsable, too big)
  int64_t observations = 0;
  int64_t unknown_segments = 0;
  int64_t unknown_codes = 0;
  int64_t patient_segments = 0;
  int64_t idle_closed = 0;
};

// Writes observations from many connections to one Buffer with as few synced writes as possible: whoever finds no
// write in progress writes everything queued so far in one Buffer::Append (group commit). Thread-safe.
class GroupCommitter {
 public:
  explicit GroupCommitter(Buffer& buffer) : buffer_(buffer) {}
  // Returns once `observations` are durably buffered (OK) or could not be (the Append's error): then none of them is.
  absl::Status Commit(std::vector<pumptrack::v1::Observation> observations);

 private:
  struct Request {
    std::vector<pumptrack::v1::Observation> observations;
    absl::Status status;
    bool done = false;
  };
  Buffer& buffer_;
  absl::Mutex mu_;
  absl::CondVar written_;
  std::vector<Request*> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
};

class MllpServer {
 public:
  // Binds, listens and starts accepting. `mapper` and `buffer` must outlive the server. `registry` (optional) gets
  // the pumptrack_agent_hl7_* counters. INVALID_ARGUMENT for bad options, UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MllpServer>> Start(const MllpOptions& options, Mapper& mapper, Buffer& buffer,
                                                           prometheus::Registry* registry = nullptr);
  // Stops accepting, closes every connection and joins the threads.
  ~MllpServer();
  MllpServer(const MllpServer&) = delete;
  MllpServer& operator=(const MllpServer&) = delete;

  int port() const { return port_; }
  MllpCounters counters() const;

  // Stops accepting and closes the connections; idempotent. A message whose write is under way is still written
  // (and acknowledged if its connection is still open).
  void Stop();

 private:
  struct Metrics;
  MllpServer(const MllpOptions& options, Mapper& mapper, Buffer& buffer, int listen_fd, int port,
             prometheus::Registry* registry);
  void AcceptLoop();
  void Serve(int fd);
  // Handles every complete frame in `pending` (consumed), appending the replies to `replies`. False when the
  // connection must be closed (a frame over the size cap).
  bool HandleFrames(std::string& pending, std::string& replies);
  void Count(int64_t MllpCounters::*field, int64_t n = 1);

  const MllpOptions options_;
  Mapper& mapper_;
  GroupCommitter committer_;
  const int listen_fd_;
  const int port_;
  std::unique_ptr<Metrics> metrics_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> next_ack_id_{1};

  mutable absl::Mutex mu_;
  MllpCounters counters_ ABSL_GUARDED_BY(mu_);
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Connection> connections_ ABSL_GUARDED_BY(mu_);
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread accept_thread_;
};

// The adapter the agent's loop sees: the listener writes to the buffer itself (an ACK must wait for the synced write,
// not for the next round), so every round is empty. Owns nothing; the server lives beside the agent in main.
class Hl7Source : public ObservationSource {
 public:
  std::string_view name() const override { return "hl7"; }
  absl::StatusOr<std::vector<pumptrack::v1::Observation>> NextRound(absl::Time) override {
    return std::vector<pumptrack::v1::Observation>();
  }
};

}  // namespace pumptrack::agents::hl7

#endif  // PUMPTRACK_AGENTS_HL7_MLLP_SERVER_H_
