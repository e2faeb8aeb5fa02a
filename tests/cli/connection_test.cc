#include "cli/connection.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace pumptrack::cli {
namespace {

// A file in a fresh temporary directory, removed with the directory at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    char pattern[] = "/tmp/pumptrack-cli-test-XXXXXX";
    directory_ = mkdtemp(pattern);
    path_ = directory_ + "/file";
    std::ofstream(path_) << contents;
  }
  ~TempFile() {
    std::remove(path_.c_str());
    std::remove(directory_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string directory_;
  std::string path_;
};

TEST(ConnectionOptionsTest, DefaultsToTlsOnLocalhostWithTenSeconds) {
  const ConnectionOptions options;
  EXPECT_EQ(options.server, "localhost:50051");
  EXPECT_FALSE(options.insecure);
  EXPECT_EQ(options.ca_file, "");
  EXPECT_EQ(options.timeout, absl::Seconds(10));
}

TEST(MakeChannelCredentialsTest, InsecureAndTlsBothWork) {
  ConnectionOptions options;
  options.insecure = true;
  EXPECT_NE(MakeChannelCredentials(options).value(), nullptr);
  options.insecure = false;
  EXPECT_NE(MakeChannelCredentials(options).value(), nullptr);
}

TEST(MakeChannelCredentialsTest, MissingCaFileIsNotFound) {
  ConnectionOptions options;
  options.ca_file = "/nonexistent/pumptrack-ca.pem";
  const absl::Status status = MakeChannelCredentials(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "cannot read CA file /nonexistent/pumptrack-ca.pem: No such file or directory");
}

TEST(MakeChannelCredentialsTest, EmptyCaFileIsInvalid) {
  TempFile empty("");
  ConnectionOptions options;
  options.ca_file = empty.path();
  const absl::Status status = MakeChannelCredentials(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "CA file " + empty.path() + " is empty");
}

TEST(MakeChannelCredentialsTest, CaFileIsIgnoredWhenInsecure) {
  ConnectionOptions options;
  options.insecure = true;
  options.ca_file = "/nonexistent/pumptrack-ca.pem";
  EXPECT_TRUE(MakeChannelCredentials(options).ok());
}

TEST(MakeChannelTest, TargetsTheServer) {
  ConnectionOptions options;
  options.server = "127.0.0.1:1";
  options.insecure = true;
  EXPECT_NE(MakeChannel(options).value(), nullptr);
}

TEST(NewCallContextTest, DeadlineIsTheTimeoutFromNow) {
  ConnectionOptions options;
  options.timeout = absl::Seconds(30);
  const auto before = std::chrono::system_clock::now();
  const std::unique_ptr<grpc::ClientContext> context = NewCallContext(options);
  const auto after = std::chrono::system_clock::now();
  EXPECT_GE(context->deadline(), before + std::chrono::seconds(30));
  EXPECT_LE(context->deadline(), after + std::chrono::seconds(30));
}

}  // namespace
}  // namespace pumptrack::cli
