// Certificate rotation without a restart: the server re-reads its certificate, key and client CA bundle every
// tls_reload_interval.
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/security/security_test_util.h"

namespace pumptrack::security_testing {
namespace {

constexpr absl::Duration kRotationTimeout = absl::Seconds(15);

class CertRotationTest : public SecurityServerTest {
 protected:
  void SetUp() override {
    files_ = CopyTlsFiles(temp_.Sub("tls"));
    service::ServerOptions options = TlsOptions();
    options.tls_cert = files_.cert;
    options.tls_key = files_.key;
    options.tls_client_ca = files_.client_ca;
    options.tls_reload_interval = absl::Seconds(1);
    ASSERT_NO_FATAL_FAILURE(StartServer(options));
  }

  // The serial of the certificate the server presents on a new connection; empty if the call failed.
  std::string PresentedSerial() {
    grpc::ClientContext context;
    Prepare(context, admin_secret_);
    v1::ListTokensResponse response;
    grpc::Status status =
        v1::TokenService::NewStub(PeopleChannel())->ListTokens(&context, v1::ListTokensRequest(), &response);
    if (!status.ok()) return "";
    std::vector<grpc::string_ref> pem = context.auth_context()->FindPropertyValues("x509_pem_cert");
    if (pem.empty()) return "";
    return CertSerialHex(std::string(pem.front().data(), pem.front().size()));
  }

  RotatableTlsFiles files_;
};

TEST_F(CertRotationTest, RotatedServerCertificateIsPresentedOnNewConnectionsWithoutRestart) {
  const std::string old_serial = CertSerialHex(ReadFile(files_.cert));
  ASSERT_FALSE(old_serial.empty());
  ASSERT_EQ(PresentedSerial(), old_serial);

  const CertFiles issued = Pki::Shared().IssueServerCert(temp_.Sub("server-rotated"));
  const std::string new_serial = CertSerialHex(issued.cert_pem());
  ASSERT_FALSE(new_serial.empty());
  ASSERT_NE(new_serial, old_serial);
  // Key first, then certificate: each replaced atomically.
  WriteFileAtomically(files_.key, issued.key_pem());
  WriteFileAtomically(files_.cert, issued.cert_pem());

  const absl::Time deadline = absl::Now() + kRotationTimeout;
  std::string presented;
  while (absl::Now() < deadline) {
    presented = PresentedSerial();
    if (presented == new_serial) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(presented, new_serial) << "the server still presents " << presented << " (old: " << old_serial << ")";
  // And it keeps serving with the new certificate.
  EXPECT_TRUE(ListTokens(admin_secret_).ok());
}

TEST_F(CertRotationTest, RotatedClientCaAdmitsAgentsOfTheNewCaWithoutRestart) {
  EnrollAgent("gw-newca-01");
  EnrollAgent("gw-oldca-01");
  const CertFiles new_ca_agent = Pki::Shared().second_ca_agent("gw-newca-01");
  const CertFiles old_ca_agent = Pki::Shared().agent("gw-oldca-01");

  grpc::Status before = Report(AgentChannel(new_ca_agent), "gw-newca-01", "PT-00100", 1);
  EXPECT_EQ(before.error_code(), grpc::StatusCode::UNAVAILABLE) << "refused before the CA bundle is rotated";

  // The new bundle trusts both CAs, as a real rotation would while agents are re-issued.
  WriteFileAtomically(files_.client_ca, Pki::Shared().ca_pem() + ReadFile(Pki::Shared().second_ca_path()));

  const absl::Time deadline = absl::Now() + kRotationTimeout;
  grpc::Status after;
  std::uint64_t sequence = 1;
  v1::ReportResponse response;
  while (absl::Now() < deadline) {
    after = Report(AgentChannel(new_ca_agent), "gw-newca-01", "PT-00100", sequence, &response);
    if (after.ok()) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(after.ok()) << "still refused after rotation: " << after.error_code() << " " << after.error_message();
  EXPECT_EQ(response.result(), v1::REPORT_RESULT_ACCEPTED);

  grpc::Status old_agent = Report(AgentChannel(old_ca_agent), "gw-oldca-01", "PT-00101", 1, &response);
  EXPECT_TRUE(old_agent.ok()) << old_agent.error_message();

  // Dropping the old CA from the bundle locks its agents out.
  WriteFileAtomically(files_.client_ca, ReadFile(Pki::Shared().second_ca_path()));
  const absl::Time drop_deadline = absl::Now() + kRotationTimeout;
  grpc::Status dropped;
  while (absl::Now() < drop_deadline) {
    dropped = Report(AgentChannel(old_ca_agent), "gw-oldca-01", "PT-00101", 2);
    if (dropped.error_code() == grpc::StatusCode::UNAVAILABLE) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(dropped.error_code(), grpc::StatusCode::UNAVAILABLE) << "old CA's agent still admitted";
}

}  // namespace
}  // namespace pumptrack::security_testing
