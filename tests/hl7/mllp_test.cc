// The MLLP listener with real sockets on 127.0.0.1 (port 0) and a real durable buffer in a temporary directory.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agents/buffer.h"
#include "agents/hl7/mapping.h"
#include "agents/hl7/message.h"
#include "agents/hl7/mllp_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_support.h"
#include "tests/hl7/pcd_messages.h"

namespace pumptrack::agents::hl7 {
namespace {

using pumptrack::testing_support::ScopedTempDir;
using ::testing::HasSubstr;

std::string Framed(const std::string& message) { return "\x0b" + message + "\x1c\r"; }

// A blocking MLLP client over a plain socket, so that tests control how bytes are split across writes.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(absl::string_view bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  // Reads until `count` framed replies arrived (or the peer closed / 10 s passed) and returns their bodies.
  std::vector<std::string> Receive(size_t count) {
    std::vector<std::string> replies;
    while (replies.size() < count) {
      const size_t end = pending_.find("\x1c\r");
      if (end != std::string::npos) {
        const size_t start = pending_.find('\x0b');
        replies.push_back(pending_.substr(start + 1, end - start - 1));
        pending_.erase(0, end + 2);
        continue;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10'000) <= 0) break;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      pending_.append(chunk, static_cast<size_t>(n));
    }
    return replies;
  }
  // True when the server closed the connection (recv returns 0 within 5 s).
  bool Closed() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5'000) <= 0) return false;
    char byte;
    return ::recv(fd_, &byte, 1, 0) <= 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

std::string AckCodeOf(const std::string& ack) {
  absl::StatusOr<Message> m = Message::Parse(ack);
  if (!m.ok() || m->segments().size() < 2) return "unparsable";
  return m->Get(m->segments()[1], 1);
}

std::string AckedControlId(const std::string& ack) {
  absl::StatusOr<Message> m = Message::Parse(ack);
  if (!m.ok() || m->segments().size() < 2) return "";
  return m->Get(m->segments()[1], 2);
}

class MllpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BufferOptions options;
    options.dir = dir_.path();
    options.sequence_base = 100;
    absl::StatusOr<std::unique_ptr<Buffer>> buffer = Buffer::Open(options);
    ASSERT_TRUE(buffer.ok()) << buffer.status();
    buffer_ = *std::move(buffer);
    absl::StatusOr<pumptrack::hl7::MappingTable> table =
        ParseMappingTable(absl::StrCat(DefaultMappingText(), hl7_test::kTestMappingExtra));
    ASSERT_TRUE(table.ok());
    mapper_ = std::make_unique<Mapper>(*table);
  }

  void StartServer(MllpOptions options = {}) {
    options.listen = "127.0.0.1:0";
    if (options.allow.empty()) options.allow = {*ParseCidr("127.0.0.1")};
    absl::StatusOr<std::unique_ptr<MllpServer>> server = MllpServer::Start(options, *mapper_, *buffer_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::vector<BufferedObservation> Buffered() {
    absl::StatusOr<std::vector<BufferedObservation>> entries = buffer_->ReadOldest(100'000);
    EXPECT_TRUE(entries.ok());
    return entries.ok() ? *std::move(entries) : std::vector<BufferedObservation>{};
  }

  ScopedTempDir dir_;
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<Mapper> mapper_;
  std::unique_ptr<MllpServer> server_;
};

TEST_F(MllpTest, AnswersAaOnlyOnceTheObservationIsInTheBuffer) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.connected());
  client.Send(Framed(hl7_test::MemDmc("M-1", "0012210000000A01", "SN-1", "PT-00001")));
  const std::vector<std::string> acks = client.Receive(1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(AckCodeOf(acks[0]), "AA");
  EXPECT_EQ(AckedControlId(acks[0]), "M-1");
  const std::vector<BufferedObservation> entries = Buffered();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].observation.identity().asset_tag(), "PT-00001");
  EXPECT_EQ(entries[0].observation.sequence(), 100u);
  EXPECT_EQ(entries[0].observation.components_size(), 2);
  EXPECT_EQ(server_->counters().accepted, 1);
}

TEST_F(MllpTest, SeveralMessagesInOneReadAreAnsweredInOrder) {
  StartServer();
  Client client(server_->port());
  std::string bytes;
  for (int i = 0; i < 5; ++i) {
    bytes += Framed(hl7_test::MemDmc(absl::StrCat("B-", i), absl::StrCat("00122100000000B", i), absl::StrCat("SN-B", i),
                                     absl::StrCat("PT-B", i)));
  }
  client.Send(bytes);
  const std::vector<std::string> acks = client.Receive(5);
  ASSERT_EQ(acks.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(AckCodeOf(acks[i]), "AA");
    EXPECT_EQ(AckedControlId(acks[i]), absl::StrCat("B-", i));
  }
  EXPECT_EQ(Buffered().size(), 5u);
}

TEST_F(MllpTest, OneMessageOverManyReads) {
  StartServer();
  Client client(server_->port());
  const std::string bytes =
      "garbage before the frame" + Framed(hl7_test::MemDmc("S-1", "0012210000000C01", "SN-C", "PT-C"));
  for (size_t i = 0; i < bytes.size(); i += 7) {
    client.Send(absl::string_view(bytes).substr(i, 7));
    if (i % 70 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::vector<std::string> acks = client.Receive(1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(AckCodeOf(acks[0]), "AA");
  EXPECT_EQ(Buffered().size(), 1u);
}

TEST_F(MllpTest, UnusableMessagesGetAeOrArAndStoreNothing) {
  StartServer();
  Client client(server_->port());
  client.Send(Framed("MSH|^~\\&|A|B|C|D|1||ADT^A01|X-1|P|2.6\rPID|||1\r"));
  client.Send(Framed(hl7_test::MemLs("X-2", "00122100000FFFFF", "ICU", "1")));  // unknown device
  client.Send(Framed("not hl7 at all"));
  const std::vector<std::string> acks = client.Receive(3);
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(AckCodeOf(acks[0]), "AR");
  EXPECT_EQ(AckCodeOf(acks[1]), "AE");
  EXPECT_THAT(acks[1], HasSubstr("ERR||OBX^1^18|101"));
  EXPECT_EQ(AckCodeOf(acks[2]), "AR");
  EXPECT_TRUE(Buffered().empty());
  EXPECT_EQ(server_->counters().rejected, 2);
  EXPECT_EQ(server_->counters().errors, 1);
}

TEST_F(MllpTest, EnhancedModeAcceptAcknowledgementIsCa) {
  StartServer();
  Client client(server_->port());
  std::string message = hl7_test::MemDmc("E-1", "0012210000000E01", "SN-E", "PT-E");
  message.replace(message.find("|NE|AL|"), 7, "|AL|NE|");
  client.Send(Framed(message));
  const std::vector<std::string> acks = client.Receive(1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(AckCodeOf(acks[0]), "CA");
}

TEST_F(MllpTest, OversizedMessageIsRejectedAndTheConnectionClosed) {
  MllpOptions options;
  options.max_message_bytes = 512;
  StartServer(options);
  Client client(server_->port());
  client.Send(Framed(hl7_test::MemDmc("O-1", "0012210000000D01", "SN-D", "PT-D")));  // > 512 bytes
  const std::vector<std::string> acks = client.Receive(1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(AckCodeOf(acks[0]), "AR");
  EXPECT_TRUE(client.Closed());
  EXPECT_TRUE(Buffered().empty());
}

TEST_F(MllpTest, SourceOutsideTheAllowListIsClosedAtAccept) {
  MllpOptions options;
  options.allow = {*ParseCidr("10.0.0.0/8")};
  StartServer(options);
  Client client(server_->port());
  ASSERT_TRUE(client.connected());  // the kernel accepts; the listener closes it at once
  client.Send(Framed(hl7_test::MemDmc("R-1", "0012210000000F01", "SN-F", "PT-F")));
  EXPECT_TRUE(client.Closed());
  EXPECT_EQ(server_->counters().refused_not_allowed, 1);
  EXPECT_TRUE(Buffered().empty());
}

TEST_F(MllpTest, IdleConnectionsAreClosed) {
  MllpOptions options;
  options.idle_timeout = absl::Milliseconds(200);
  StartServer(options);
  Client client(server_->port());
  EXPECT_TRUE(client.Closed());
  EXPECT_EQ(server_->counters().idle_closed, 1);
}

TEST_F(MllpTest, ManyConnectionsShareDurableWritesAndSequencesStayPerDevice) {
  StartServer();
  constexpr int kClients = 8;
  constexpr int kMessages = 25;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([this, c] {
      Client client(server_->port());
      for (int i = 0; i < kMessages; ++i) {
        client.Send(Framed(hl7_test::MemDmc(absl::StrCat("P", c, "-", i), absl::StrCat("001221000000", c, "AAA"),
                                            absl::StrCat("SN-P", c), absl::StrCat("PT-P", c))));
        const std::vector<std::string> acks = client.Receive(1);
        ASSERT_EQ(acks.size(), 1u);
        ASSERT_EQ(AckCodeOf(acks[0]), "AA");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::vector<BufferedObservation> entries = Buffered();
  ASSERT_EQ(entries.size(), static_cast<size_t>(kClients * kMessages));
  std::map<std::string, uint64_t> last;
  for (const BufferedObservation& e : entries) {
    const std::string& tag = e.observation.identity().asset_tag();
    if (last.count(tag) != 0) {
      EXPECT_EQ(e.observation.sequence(), last[tag] + 1) << tag;
    }
    last[tag] = e.observation.sequence();
  }
  EXPECT_EQ(last.size(), static_cast<size_t>(kClients));
}

TEST(CidrTest, ParsesAndMatches) {
  absl::StatusOr<Cidr> net = ParseCidr("10.20.0.0/16");
  ASSERT_TRUE(net.ok());
  EXPECT_TRUE(net->Contains(0x0A140101));
  EXPECT_FALSE(net->Contains(0x0A150101));
  EXPECT_TRUE(ParseCidr("0.0.0.0/0")->Contains(0x01020304));
  EXPECT_FALSE(ParseCidr("10.0.0.0/33").ok());
  EXPECT_FALSE(ParseCidr("example.org").ok());
  absl::StatusOr<std::vector<Cidr>> list = ParseCidrList("127.0.0.1, 10.0.0.0/8");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  EXPECT_THAT(std::string(ParseCidrList("127.0.0.1,nope").status().message()), HasSubstr("nope"));
}

}  // namespace
}  // namespace pumptrack::agents::hl7
