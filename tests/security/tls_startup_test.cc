// Start-up validation of the TLS options, and the server-only TLS path used by people's clients.
#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/security_test_util.h"

namespace pumptrack::security_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TlsStartupTest : public SecurityServerTest {
 protected:
  // Server::Start's outcome; an exception escaping it is reported as a test failure and returned as UNKNOWN.
  absl::Status TryStart(service::ServerOptions options) {
    try {
      absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(std::move(options));
      if (server.ok()) {
        (*server)->Shutdown(absl::Seconds(1));
        return absl::OkStatus();
      }
      return server.status();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "Server::Start threw instead of returning a status: " << e.what();
      return absl::UnknownError(e.what());
    }
  }
  // TLS options with one of the three files replaced by `path`.
  service::ServerOptions WithFile(const std::string& flag, const std::string& path) {
    service::ServerOptions options = TlsOptions();
    if (flag == "tls_cert") options.tls_cert = path;
    if (flag == "tls_key") options.tls_key = path;
    if (flag == "tls_client_ca") options.tls_client_ca = path;
    return options;
  }
};

TEST_F(TlsStartupTest, WithoutTlsFilesAndWithoutInsecureStartFailsNamingAllThreeFlags) {
  service::ServerOptions options = TlsOptions();
  options.tls_cert.clear();
  options.tls_key.clear();
  options.tls_client_ca.clear();
  absl::Status status = TryStart(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("--tls_cert"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("--tls_key"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("--tls_client_ca"));
  // Nothing was served and the data directory was not left locked: the server starts once the files are given.
  ASSERT_NO_FATAL_FAILURE(StartTlsServer());
}

TEST_F(TlsStartupTest, EachMissingTlsFlagIsNamedAlone) {
  for (const std::string flag : {"tls_cert", "tls_key", "tls_client_ca"}) {
    SCOPED_TRACE(flag);
    service::ServerOptions options = TlsOptions();
    if (flag == "tls_cert") options.tls_cert.clear();
    if (flag == "tls_key") options.tls_key.clear();
    if (flag == "tls_client_ca") options.tls_client_ca.clear();
    absl::Status status = TryStart(options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    const std::string message(status.message());
    EXPECT_THAT(message, HasSubstr("--" + flag));
    for (const std::string other : {"tls_cert", "tls_key", "tls_client_ca"}) {
      if (other != flag) {
        EXPECT_THAT(message, Not(HasSubstr("--" + other))) << "names a flag that was given";
      }
    }
  }
}

TEST_F(TlsStartupTest, MissingTlsFileFailsNamingItsFlag) {
  const std::string missing = temp_.Sub("no-such-file.pem");
  for (const std::string flag : {"tls_cert", "tls_key", "tls_client_ca"}) {
    SCOPED_TRACE(flag);
    absl::Status status = TryStart(WithFile(flag, missing));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("--" + flag));
    EXPECT_THAT(std::string(status.message()), HasSubstr(missing));
  }
}

// Any read error of a TLS file (EISDIR here, EIO alike) makes Server::Start return INVALID_ARGUMENT naming the flag;
// nothing throws out of it.
TEST_F(TlsStartupTest, DirectoryGivenAsTlsFileFailsNamingItsFlagInsteadOfThrowing) {
  const std::string directory = temp_.Sub("a-directory.pem");
  std::filesystem::create_directories(directory);
  for (const std::string flag : {"tls_cert", "tls_key", "tls_client_ca"}) {
    SCOPED_TRACE(flag);
    absl::Status status = TryStart(WithFile(flag, directory));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("--" + flag));
  }
}

TEST_F(TlsStartupTest, NonPemTlsFileFailsNamingItsFlag) {
  const std::string garbage = temp_.Sub("garbage.pem");
  WriteFileAtomically(garbage, "this is not a certificate\n");
  const std::string empty = temp_.Sub("empty.pem");
  WriteFileAtomically(empty, "");
  for (const std::string& path : {garbage, empty}) {
    for (const std::string flag : {"tls_cert", "tls_key", "tls_client_ca"}) {
      SCOPED_TRACE(flag + "=" + path);
      absl::Status status = TryStart(WithFile(flag, path));
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
      EXPECT_THAT(std::string(status.message()), HasSubstr("--" + flag));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Server-only TLS: people present no client certificate and authenticate with a token.

class ServerTlsTest : public SecurityServerTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartTlsServer()); }
};

TEST_F(ServerTlsTest, PeopleClientTrustingTheCaWithoutClientCertCanListTokens) {
  v1::ListTokensResponse response;
  grpc::Status status = ListTokens(admin_secret_, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  ASSERT_EQ(response.tokens_size(), 1);
  EXPECT_EQ(response.tokens(0).name(), kAdminName);
  EXPECT_EQ(response.tokens(0).role(), v1::ROLE_ADMIN);
  EXPECT_EQ(response.tokens(0).created_by(), "operator");
}

TEST_F(ServerTlsTest, ServerPresentsTheConfiguredCertificate) {
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  v1::ListTokensResponse response;
  grpc::Status status =
      v1::TokenService::NewStub(PeopleChannel())->ListTokens(&context, v1::ListTokensRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->GetPeerIdentityPropertyName(), "x509_subject_alternative_name");
  std::vector<grpc::string_ref> pem = auth->FindPropertyValues("x509_pem_cert");
  ASSERT_EQ(pem.size(), 1u);
  EXPECT_EQ(CertSerialHex(std::string(pem[0].data(), pem[0].size())), CertSerialHex(Pki::Shared().server().cert_pem()));
  // DNS SANs are exposed on their own as "peer_dns" (IP SANs are not).
  std::vector<std::string> dns;
  for (const grpc::string_ref& value : auth->FindPropertyValues("peer_dns"))
    dns.emplace_back(value.data(), value.size());
  EXPECT_THAT(dns, ::testing::ElementsAre("localhost"));
}

TEST_F(ServerTlsTest, ClientTrustingAnotherCaFailsUnavailable) {
  auto channel = Channel(TlsCredentials(ReadFile(Pki::Shared().foreign_ca_path())));
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  v1::ListTokensResponse response;
  grpc::Status status = v1::TokenService::NewStub(channel)->ListTokens(&context, v1::ListTokensRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(response.tokens_size(), 0);
}

TEST_F(ServerTlsTest, ClientExpectingAnotherHostNameFailsUnavailable) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("pumptrack.example.org");  // not in the server certificate's SAN
  auto channel = Channel(TlsCredentials(Pki::Shared().ca_pem()), args);
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  v1::ListTokensResponse response;
  grpc::Status status = v1::TokenService::NewStub(channel)->ListTokens(&context, v1::ListTokensRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(ServerTlsTest, PlaintextClientToTheTlsPortFailsUnavailable) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port()), grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  v1::ListTokensResponse response;
  grpc::Status status = v1::TokenService::NewStub(channel)->ListTokens(&context, v1::ListTokensRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(response.tokens_size(), 0);
}

}  // namespace
}  // namespace pumptrack::security_testing
