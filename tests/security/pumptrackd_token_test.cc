// `pumptrackd token create`, the offline way to make the first admin token, run as the real built binary.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/security_test_util.h"

#ifndef PUMPTRACKD_PATH
#error "PUMPTRACKD_PATH must be the path of the built pumptrackd"
#endif

namespace pumptrack::security_testing {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(absl::StripSuffix(text, "\n"), '\n', absl::SkipEmpty());
}

class PumptrackdTokenCreateTest : public SecurityServerTest {
 protected:
  CommandResult TokenCreate(const std::string& role, const std::string& name) {
    return RunCommand(std::string(ShellQuote(PUMPTRACKD_PATH)) + " token create --data_dir=" + ShellQuote(data_dir_) +
                      " --role=" + ShellQuote(role) + " --name=" + ShellQuote(name));
  }
};

TEST_F(PumptrackdTokenCreateTest, OnAStoppedDataDirPrintsAUsableTokenOnTheLastLine) {
  const CommandResult result = TokenCreate("admin", "ops.admin");
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_FALSE(lines.empty());
  const std::string secret = lines.back();
  EXPECT_TRUE(absl::StartsWith(secret, "ptk_")) << secret;

  // The fixture's own admin token is made first (offline, before start); then the printed one must work.
  ASSERT_NO_FATAL_FAILURE(StartTlsServer());
  v1::ListTokensResponse response;
  grpc::Status status = ListTokens(secret, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  bool found = false;
  for (const v1::Token& token : response.tokens()) {
    if (token.name() == "ops.admin") {
      found = true;
      EXPECT_EQ(token.role(), v1::ROLE_ADMIN);
      EXPECT_EQ(token.created_by(), "operator");
    }
  }
  EXPECT_TRUE(found);
  // The creation is audited as the operator's.
  EXPECT_TRUE(WaitForAudit([](const v1::AuditEntry& entry) {
    return entry.action() == "token.create" && entry.actor_kind() == v1::ACTOR_KIND_OPERATOR &&
           entry.after().find("ops.admin") != std::string::npos;
  }));
}

TEST_F(PumptrackdTokenCreateTest, ViewerTokenFromTheCommandHasOnlyTheViewerRole) {
  const CommandResult result = TokenCreate("viewer", "wall.display");
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string secret = Lines(result.out).back();
  ASSERT_NO_FATAL_FAILURE(StartTlsServer());
  EXPECT_TRUE(ListDevices(secret).ok());
  EXPECT_EQ(ListTokens(secret).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PumptrackdTokenCreateTest, OnADataDirInUseFailsWithAOneLineError) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer());
  const CommandResult result = TokenCreate("admin", "sneaky");
  EXPECT_NE(result.exit_code, 0);
  const std::vector<std::string> lines = Lines(result.out + result.err);
  ASSERT_EQ(lines.size(), 1u) << "stdout: " << result.out << "\nstderr: " << result.err;
  EXPECT_THAT(result.err, ::testing::HasSubstr(data_dir_));
  EXPECT_EQ(result.out.find("ptk_"), std::string::npos) << "printed a secret anyway";
  // Nothing was created.
  v1::ListTokensResponse response;
  ASSERT_TRUE(ListTokens(admin_secret_, &response).ok());
  EXPECT_EQ(response.tokens_size(), 1);
}

TEST_F(PumptrackdTokenCreateTest, UnknownRoleFailsWithoutCreatingAnything) {
  const CommandResult result = TokenCreate("superuser", "mallory");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(Lines(result.out + result.err).size(), 1u) << result.out << result.err;
  EXPECT_THAT(result.err, ::testing::HasSubstr("--role"));
  ASSERT_NO_FATAL_FAILURE(StartTlsServer());
  v1::ListTokensResponse response;
  ASSERT_TRUE(ListTokens(admin_secret_, &response).ok());
  EXPECT_EQ(response.tokens_size(), 1);
}

// The daemon itself, with a directory given where a PEM file belongs (an easy typo: --tls_cert=/etc/pumptrack/).
// A TLS file that cannot be read (here a directory) makes pumptrackd exit 1 with a one-line "--tls_cert: ..."
// message, never abort.
TEST_F(PumptrackdTokenCreateTest, DaemonGivenADirectoryAsTlsCertExitsWithAOneLineErrorInsteadOfAborting) {
  Pki& pki = Pki::Shared();
  const CommandResult result =
      RunCommand("timeout 20 " + ShellQuote(PUMPTRACKD_PATH) + " --data_dir=" + ShellQuote(data_dir_) +
                 " --grpc_listen=127.0.0.1:0 --metrics_listen= --http_listen= --tls_cert=" + ShellQuote(temp_.path()) +
                 " --tls_key=" + ShellQuote(pki.server().key_path) + " --tls_client_ca=" + ShellQuote(pki.ca_path()));
  EXPECT_EQ(result.exit_code, 1) << "stdout: " << result.out << "\nstderr: " << result.err;
  EXPECT_THAT(result.err, ::testing::HasSubstr("--tls_cert"));
  EXPECT_THAT(result.err, ::testing::Not(::testing::HasSubstr("terminate called")));
}

}  // namespace
}  // namespace pumptrack::security_testing
