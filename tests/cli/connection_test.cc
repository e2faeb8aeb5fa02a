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

TEST(ConnectionOptionsTest, HasNoTokenByDefault) { EXPECT_EQ(ConnectionOptions().token, ""); }

TEST(ValidateTokenTest, AcceptsPrintableAsciiWithoutSpaces) {
  EXPECT_TRUE(ValidateToken("").ok());
  EXPECT_TRUE(ValidateToken("ptk_AbC-12_xyz").ok());
  EXPECT_TRUE(ValidateToken("!~").ok());
  for (const char* token : {"two words", "line\nbreak", "tab\t", "caf\xc3\xa9", "del\x7f"}) {
    const absl::Status status = ValidateToken(token);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_EQ(status.message(), "the token must be printable ASCII without spaces");
  }
}

TEST(IsLoopbackServerTest, RecognisesThisMachine) {
  for (const char* server :
       {"localhost:50051", "LOCALHOST:1", "127.0.0.1:50051", "127.1.2.3:9", "[::1]:50051", "ipv4:127.0.0.1:50051",
        "ipv6:[::1]:1", "dns:///localhost:50051", "unix:/run/pt.sock", "localhost"}) {
    EXPECT_TRUE(IsLoopbackServer(server)) << server;
  }
  for (const char* server : {"pumptrack.hospital.example:443", "10.0.0.5:50051", "[2001:db8::1]:443",
                             "localhost.evil.example:1", "dns:///pumptrack:443"}) {
    EXPECT_FALSE(IsLoopbackServer(server)) << server;
  }
}

TEST(NewCallContextTest, WorksWithAndWithoutAToken) {
  // The header itself is checked end to end against a server (see security_app_test.cc); here, both build.
  ConnectionOptions options;
  EXPECT_NE(NewCallContext(options), nullptr);
  options.token = "ptk_secret";
  EXPECT_NE(NewCallContext(options), nullptr);
}

}  // namespace
}  // namespace pumptrack::cli
