// pumptrack-hl7-bench: HL7 messages per second through the agent's MLLP listener into its durable buffer.
//
// Starts the real listener (agents::hl7::MllpServer) with the shipped mapping and a real buffer (RocksDB, synced
// writes) in a temporary directory, then --connections clients each send --messages MEM-DMC ORU^R01 messages (13 OBX,
// one pump each) over loopback TCP, keeping up to --window messages unacknowledged (1 = strict send-and-wait, as most
// MLLP senders do). Every message must be answered AA; prints messages/s, observations buffered and synced writes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agents/buffer.h"
#include "agents/hl7/mapping.h"
#include "agents/hl7/mllp_server.h"

ABSL_FLAG(int, connections, 8, "Concurrent MLLP connections.");
ABSL_FLAG(int, messages, 2000, "Messages per connection.");
ABSL_FLAG(int, window, 1, "Messages a connection sends before waiting for their ACKs (1 = send and wait).");
ABSL_FLAG(int, pumps, 1000, "Distinct pumps the messages describe.");

namespace {

namespace hl7 = pumptrack::agents::hl7;

std::string Message(int connection, int i, int pumps) {
  const int pump = (connection * 7919 + i) % pumps;
  const std::string eui = absl::StrFormat("0012210000%06X", pump);
  const std::string tag = absl::StrFormat("PT-%05d", pump);
  return absl::StrCat("\x0b", "MSH|^~\\&|PUMP_GW|ACME|PUMPTRACK|HOSP|20261206120000+0000||ORU^R01^ORU_R01|C",
                      connection, "-", i,
                      "|P|2.6|||NE|AL\r"
                      "PID|||MRN-1^^^HOSP^MR||DOE^JANE\r"
                      "OBR|1|||69985^MDC_DEV_PUMP_INFUS_MDS^MDC\r"
                      "OBX|1||69985^MDC_DEV_PUMP_INFUS_MDS^MDC|1.0.0.0|||||||X|||||||",
                      eui, "^EUI-64~", tag, "^ASSET\r", "OBX|2|ST|67972^MDC_ATTR_SYS_ID^MDC|1.0.0.1|", eui, "||||||F\r",
                      "OBX|3|XCN|67880^MDC_ATTR_ID_MODEL^MDC|1.0.0.2|Acme Medical^Infusia 500||||||F\r"
                      "OBX|4|ST|531972^MDC_ID_PROD_SPEC_SERIAL^MDC|1.0.0.3|SN-",
                      pump,
                      "||||||F\r"
                      "OBX|5|ST|531976^MDC_ID_PROD_SPEC_FW^MDC|1.0.0.4|12.1.3||||||F\r"
                      "OBX|6|NM|67996^MDC_ATTR_VAL_BATT_CHARGE^MDC|1.0.0.5|87|262688^MDC_DIM_PERCENT^MDC|||||F\r"
                      "OBX|7||MDCX_PUMP_WIFI_MODULE^Wi-Fi module^MDC|1.2.0.0|||||||X\r"
                      "OBX|8|XCN|67880^MDC_ATTR_ID_MODEL^MDC|1.2.0.1|Acme Medical^WLAN-7||||||F\r"
                      "OBX|9|ST|531974^MDC_ID_PROD_SPEC_HW^MDC|1.2.0.2|B||||||F\r"
                      "OBX|10|ST|531976^MDC_ID_PROD_SPEC_FW^MDC|1.2.0.3|4.2.1||||||F\r"
                      "OBX|11||MDCX_PUMP_BATTERY_MODULE^Battery module^MDC|1.3.0.0|||||||X\r"
                      "OBX|12|ST|531975^MDC_ID_PROD_SPEC_SW^MDC|1.3.0.1|2.0||||||F\r"
                      "OBX|13|PL|MDCX_ATTR_LOC^Location^MDC|1.0.0.6|5W^512^^GENERAL^^^NORTH^3||||||F\r",
                      "\x1c\r");
}

// Sends `messages` messages, `window` at a time; returns how many were answered AA.
int64_t RunConnection(int port, int connection, int messages, int window, int pumps) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return 0;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int64_t accepted = 0;
  std::string pending;
  char chunk[16384];
  for (int sent = 0; sent < messages;) {
    std::string batch;
    const int n = std::min(window, messages - sent);
    for (int k = 0; k < n; ++k) batch += Message(connection, sent + k, pumps);
    if (::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(batch.size())) break;
    sent += n;
    int answered = 0;
    while (answered < n) {
      size_t end;
      while (answered < n && (end = pending.find("\x1c\r")) != std::string::npos) {
        if (pending.find("MSA|AA|") < end) ++accepted;
        pending.erase(0, end + 2);
        ++answered;
      }
      if (answered == n) break;
      const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
      if (got <= 0) {
        ::close(fd);
        return accepted;
      }
      pending.append(chunk, static_cast<size_t>(got));
    }
  }
  ::close(fd);
  return accepted;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int connections = absl::GetFlag(FLAGS_connections);
  const int messages = absl::GetFlag(FLAGS_messages);
  const int window = std::max(1, absl::GetFlag(FLAGS_window));
  const int pumps = std::max(1, absl::GetFlag(FLAGS_pumps));

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("pumptrack-hl7-bench-", getpid());
  pumptrack::agents::BufferOptions buffer_options;
  buffer_options.dir = dir.string();
  buffer_options.max_entries = 10'000'000;
  auto buffer = pumptrack::agents::Buffer::Open(buffer_options);
  if (!buffer.ok()) {
    std::fprintf(stderr, "%s\n", buffer.status().ToString().c_str());
    return 1;
  }
  auto table = hl7::ParseMappingTable(absl::StrCat(
      hl7::DefaultMappingText(),
      "codes { code: \"MDCX_PUMP_WIFI_MODULE\" target: TARGET_COMPONENT component_kind: \"wifi-module\" }\n"
      "codes { code: \"MDCX_PUMP_BATTERY_MODULE\" target: TARGET_COMPONENT component_kind: \"battery-module\" }\n"));
  hl7::Mapper mapper(*table);
  hl7::MllpOptions options;
  options.listen = "127.0.0.1:0";
  options.allow = {*hl7::ParseCidr("127.0.0.1")};
  options.max_connections = connections + 1;
  auto server = hl7::MllpServer::Start(options, mapper, **buffer);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }

  std::atomic<int64_t> accepted{0};
  std::vector<std::thread> clients;
  const absl::Time start = absl::Now();
  for (int c = 0; c < connections; ++c) {
    clients.emplace_back([&, c] { accepted += RunConnection((*server)->port(), c, messages, window, pumps); });
  }
  for (std::thread& t : clients) t.join();
  const absl::Duration elapsed = absl::Now() - start;
  const hl7::MllpCounters counters = (*server)->counters();
  std::printf(
      "connections=%d window=%d messages=%lld accepted(AA)=%lld buffered=%lld seconds=%.2f "
      "messages_per_second=%.0f\n",
      connections, window, static_cast<long long>(connections) * messages, static_cast<long long>(accepted.load()),
      static_cast<long long>((*buffer)->size()), absl::ToDoubleSeconds(elapsed),
      static_cast<double>(accepted.load()) / absl::ToDoubleSeconds(elapsed));
  (void)counters;
  server->reset();
  buffer->reset();
  std::filesystem::remove_all(dir);
  return accepted.load() == static_cast<int64_t>(connections) * messages ? 0 : 1;
}
