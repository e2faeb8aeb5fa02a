// Disk trouble: the real server, in-process, on a data directory whose RocksDB file system reports the free space a
// test sets and fails writes on demand (FaultyFileSystem: ENOSPC for a full volume, EIO for a failing one; no mount
// or privileges needed).
//
// When the volume runs low (below the reserve, --min_free_disk_mb), reports are refused with RESOURCE_EXHAUSTED, gRPC
// health turns NOT_SERVING on the main port and on the plaintext health port, and once space is freed the service is
// SERVING and accepts reports again, by itself. When a write fails anyway (ENOSPC or EIO), reports are refused with
// RESOURCE_EXHAUSTED or UNAVAILABLE, nothing is acknowledged that is not durable, health is NOT_SERVING, and a restart
// on the recovered volume serves again with every acknowledged report intact (RocksDB 7.8 cannot resume after a
// failed WAL write in-process).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/common/faulty_file_system.h"
#include "tests/service/service_test_util.h"

namespace pumptrack::service {
namespace {

using ::pumptrack::testing_support::DiskFault;
using ::pumptrack::testing_support::FaultyFileSystem;
using ::pumptrack::testing_support::NewFaultyEnv;
using testing_util::Agent;
using testing_util::Context;
using testing_util::MakeBatch;
using testing_util::Obs;
using testing_util::StreamCall;
using testing_util::TestServer;

constexpr int kServing = 1;     // grpc.health.v1.HealthCheckResponse.SERVING
constexpr int kNotServing = 2;  // NOT_SERVING

// grpc.health.v1.Health/Check for the whole server (service ""), through a generic stub with wire-compatible
// well-known types (Debian's gRPC ships no C++ health stub): the serving status, or -1 when the call failed.
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::TemplatedGenericStub<google::protobuf::StringValue, google::protobuf::Int32Value> stub(channel);
  google::protobuf::StringValue request;
  google::protobuf::Int32Value response;
  absl::Notification done;
  grpc::Status status;
  auto context = Context(absl::Seconds(5));
  stub.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status.ok() ? response.value() : -1;
}

// Polls until both health endpoints report `want`, for up to 10 s; true if they did.
bool WaitForHealth(const std::shared_ptr<grpc::Channel>& main, const std::shared_ptr<grpc::Channel>& plain, int want) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (HealthStatus(main) == want && HealthStatus(plain) == want) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

class DiskFaultTest : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kReserve = 64 << 20;

  void SetUp() override {
    fs_ = std::make_shared<FaultyFileSystem>();
    fs_->SetFreeSpace(std::uint64_t{1} << 30);
    env_ = NewFaultyEnv(fs_);
    server_ = std::make_unique<TestServer>(TestServer::Config{.health = true,
                                                              .storage_env = env_.get(),
                                                              .storage_check_interval = absl::Milliseconds(50),
                                                              .storage_min_free_bytes = kReserve});
    ASSERT_TRUE(server_->Start().ok());
    Connect();
  }

  void TearDown() override {
    fs_->SetFault(DiskFault::kNone);
    server_.reset();
  }

  void Connect() {
    main_ = server_->channel();
    plain_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->server().health_port()),
                                 grpc::InsecureChannelCredentials());
  }

  // The volume recovered: restart on it and reconnect.
  void RestartOnRecoveredVolume() {
    fs_->SetFault(DiskFault::kNone);
    fs_->SetFreeSpace(std::uint64_t{1} << 30);
    ASSERT_TRUE(server_->Restart().ok());
    Connect();
  }

  grpc::StatusCode ReportCode(const v1::Observation& observation) {
    v1::ReportResponse response;
    grpc::Status status = server_->Report(observation, &response);
    if (status.ok()) {
      EXPECT_EQ(response.result(), v1::REPORT_RESULT_ACCEPTED);
    }
    return status.error_code();
  }

  // One stream batch while storage refuses writes: answered, unprocessed, nothing accepted, and the stream ends OK.
  void ExpectStreamBatchRefused(std::uint64_t sequence) {
    StreamCall stream(server_->agent());
    ASSERT_TRUE(stream.Write(MakeBatch(1, {Obs("PT-1").Seq(sequence), Obs("PT-2").Seq(1)}, Agent())));
    v1::ReportBatchAck ack;
    ASSERT_TRUE(stream.Read(&ack));
    EXPECT_TRUE(ack.status() == v1::BATCH_STATUS_OVERLOADED || ack.status() == v1::BATCH_STATUS_UNAVAILABLE)
        << ack.ShortDebugString();
    for (const auto& result : ack.results()) EXPECT_NE(result.result(), v1::REPORT_RESULT_ACCEPTED);
    ASSERT_TRUE(stream.WritesDone());
    EXPECT_TRUE(stream.Finish().ok());
  }

  // Only PT-1 up to `sequence` is stored.
  void ExpectStored(std::uint64_t sequence) {
    EXPECT_EQ(server_->MustGetDevice("PT-1").last_observation().sequence(), sequence);
    v1::Device absent;
    EXPECT_EQ(server_->GetDevice(testing_util::TagKey("PT-2"), &absent).error_code(), grpc::StatusCode::NOT_FOUND);
  }

  std::shared_ptr<FaultyFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<TestServer> server_;
  std::shared_ptr<grpc::Channel> main_;
  std::shared_ptr<grpc::Channel> plain_;
};

TEST_F(DiskFaultTest, NearlyFullVolumeRefusesReportsGoesNotServingAndRecoversWhenSpaceIsFreed) {
  ASSERT_EQ(HealthStatus(main_), kServing);
  ASSERT_EQ(HealthStatus(plain_), kServing);
  ASSERT_EQ(ReportCode(Obs("PT-1").Seq(1)), grpc::StatusCode::OK);

  fs_->SetFreeSpace(kReserve - 1);
  ASSERT_TRUE(WaitForHealth(main_, plain_, kNotServing));
  for (std::uint64_t seq = 2; seq <= 4; ++seq) {
    EXPECT_EQ(ReportCode(Obs("PT-1").Seq(seq)), grpc::StatusCode::RESOURCE_EXHAUSTED) << seq;
  }
  ExpectStreamBatchRefused(5);
  ExpectStored(1);                      // reads still work, and show nothing of what was refused
  EXPECT_EQ(fs_->refused_writes(), 0);  // refused before RocksDB ran out of space

  fs_->SetFreeSpace(kReserve);
  ASSERT_TRUE(WaitForHealth(main_, plain_, kServing));
  EXPECT_EQ(ReportCode(Obs("PT-1").Seq(6)), grpc::StatusCode::OK);
  ASSERT_TRUE(server_->Restart().ok());
  ExpectStored(6);
}

TEST_F(DiskFaultTest, FullVolumeRefusesWithResourceExhaustedAndServesAgainAfterRestart) {
  ASSERT_EQ(ReportCode(Obs("PT-1").Seq(1)), grpc::StatusCode::OK);
  fs_->SetFault(DiskFault::kFull);  // out of space despite the reserve (the free-space check has not seen it yet)
  // The first report fails at the commit, the later ones at the door; each is RESOURCE_EXHAUSTED.
  for (std::uint64_t seq = 2; seq <= 4; ++seq) {
    EXPECT_EQ(ReportCode(Obs("PT-1").Seq(seq)), grpc::StatusCode::RESOURCE_EXHAUSTED) << seq;
  }
  ExpectStreamBatchRefused(5);
  EXPECT_TRUE(WaitForHealth(main_, plain_, kNotServing));
  EXPECT_GT(fs_->refused_writes(), 0);
  ExpectStored(1);

  RestartOnRecoveredVolume();
  EXPECT_TRUE(WaitForHealth(main_, plain_, kServing));
  ExpectStored(1);
  EXPECT_EQ(ReportCode(Obs("PT-1").Seq(6)), grpc::StatusCode::OK);
}

TEST_F(DiskFaultTest, FailingVolumeRefusesWithUnavailableAndServesAgainAfterRestart) {
  ASSERT_EQ(ReportCode(Obs("PT-1").Seq(1)), grpc::StatusCode::OK);
  fs_->SetFault(DiskFault::kFailing);
  for (std::uint64_t seq = 2; seq <= 3; ++seq) {
    EXPECT_EQ(ReportCode(Obs("PT-1").Seq(seq)), grpc::StatusCode::UNAVAILABLE) << seq;
  }
  ExpectStreamBatchRefused(4);
  EXPECT_TRUE(WaitForHealth(main_, plain_, kNotServing));
  ExpectStored(1);

  RestartOnRecoveredVolume();
  EXPECT_TRUE(WaitForHealth(main_, plain_, kServing));
  ExpectStored(1);
  EXPECT_EQ(ReportCode(Obs("PT-1").Seq(5)), grpc::StatusCode::OK);
}

// A stream of batches while the volume runs low, gets space back, then runs out (ENOSPC): every acknowledged
// observation is durable and nothing refused is stored. After a restart, each device's last sequence is exactly the
// highest sequence the service acknowledged for it (49: batches 20 to 39 and 50 to 60 are refused).
TEST_F(DiskFaultTest, NothingIsAcknowledgedThatIsNotDurableWhileTheVolumeFillsAndEmpties) {
  constexpr int kDevices = 50;
  constexpr int kBatches = 60;
  std::map<std::string, std::uint64_t> acknowledged;
  int refused_batches = 0;
  StreamCall stream(server_->agent(), absl::Seconds(60));
  for (int b = 1; b <= kBatches; ++b) {
    if (b == 20) {
      fs_->SetFreeSpace(kReserve / 2);
      ASSERT_TRUE(WaitForHealth(main_, plain_, kNotServing));
    }
    if (b == 40) {
      fs_->SetFreeSpace(std::uint64_t{1} << 30);
      ASSERT_TRUE(WaitForHealth(main_, plain_, kServing));
    }
    if (b == 50) fs_->SetFault(DiskFault::kFull);
    std::vector<v1::Observation> observations;
    for (int d = 0; d < kDevices; ++d) {
      observations.push_back(Obs(absl::StrCat("PT-", d)).Seq(static_cast<std::uint64_t>(b)));
    }
    ASSERT_TRUE(stream.Write(MakeBatch(static_cast<std::uint64_t>(b), observations, Agent())));
    v1::ReportBatchAck ack;
    ASSERT_TRUE(stream.Read(&ack));
    ASSERT_EQ(ack.batch_id(), static_cast<std::uint64_t>(b));
    if (ack.status() != v1::BATCH_STATUS_PROCESSED) {
      ++refused_batches;
      continue;
    }
    ASSERT_EQ(ack.results_size(), kDevices);
    for (int d = 0; d < kDevices; ++d) {
      if (ack.results(d).result() == v1::REPORT_RESULT_ACCEPTED) acknowledged[absl::StrCat("PT-", d)] = b;
    }
  }
  ASSERT_TRUE(stream.WritesDone());
  EXPECT_TRUE(stream.Finish().ok());
  EXPECT_EQ(refused_batches, 31);
  EXPECT_EQ(acknowledged.size(), static_cast<std::size_t>(kDevices));

  RestartOnRecoveredVolume();
  for (const auto& [tag, sequence] : acknowledged) {
    EXPECT_EQ(sequence, 49u) << tag;
    EXPECT_EQ(server_->MustGetDevice(tag).last_observation().sequence(), sequence) << tag;
  }
}

}  // namespace
}  // namespace pumptrack::service
