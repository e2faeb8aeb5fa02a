// Agents over mutual TLS: the identity is the verified client certificate, and only enrolled, non-revoked agents may
// report.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/security_test_util.h"

namespace pumptrack::security_testing {
namespace {

class MtlsAgentTest : public SecurityServerTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartTlsServer()); }

  static bool IsDenial(const v1::AuditEntry& entry, const std::string& agent_id) {
    return entry.action() == "agent.denied" && entry.actor() == agent_id && entry.target() == agent_id &&
           entry.actor_kind() == v1::ACTOR_KIND_AGENT;
  }
};

TEST_F(MtlsAgentTest, EnrolledAgentCertificateReportIsAcceptedAndStoredUnderTheCertificateIdentity) {
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");
  ASSERT_EQ(CertCommonName(cert.cert_pem()), "gw-5west-01");
  EnrollAgent("gw-5west-01");

  v1::ReportResponse response;
  grpc::Status status = Report(AgentChannel(cert), "gw-5west-01", "PT-00042", 1, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(response.result(), v1::REPORT_RESULT_ACCEPTED);

  v1::Device device;
  ASSERT_TRUE(GetDevice("PT-00042", &device).ok());
  EXPECT_EQ(device.last_agent().agent_id(), CertCommonName(cert.cert_pem()));
  EXPECT_EQ(device.accepted_reports(), 1u);
}

TEST_F(MtlsAgentTest, AgentClaimingNoIdIsIdentifiedByItsCertificate) {
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");
  EnrollAgent("gw-5west-01");
  v1::ReportResponse response;
  grpc::Status status = Report(AgentChannel(cert), /*claimed_agent_id=*/"", "PT-00043", 1, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(response.result(), v1::REPORT_RESULT_ACCEPTED);
  v1::Device device;
  ASSERT_TRUE(GetDevice("PT-00043", &device).ok());
  EXPECT_EQ(device.last_agent().agent_id(), "gw-5west-01");
}

TEST_F(MtlsAgentTest, IdentityIsTheDnsSanWhenPresentElseTheCn) {
  // CN and SAN disagree: the SAN wins, so enrolling the CN does not admit the certificate.
  const CertFiles both = Pki::Shared().IssueClientCert("cn-and-san", "gw-by-cn", "DNS:gw-by-san");
  EnrollAgent("gw-by-cn");
  grpc::Status status = Report(AgentChannel(both), "", "PT-00060", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Report(AgentChannel(both), "gw-by-cn", "PT-00060", 1).error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "claiming the CN when a SAN is present";
  EnrollAgent("gw-by-san");
  status = Report(AgentChannel(both), "", "PT-00060", 1);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  v1::Device device;
  ASSERT_TRUE(GetDevice("PT-00060", &device).ok());
  EXPECT_EQ(device.last_agent().agent_id(), "gw-by-san");

  // No SAN at all: the CN is the identity.
  const CertFiles cn_only = Pki::Shared().IssueClientCert("cn-only", "gw-cn-only", "");
  EnrollAgent("gw-cn-only");
  status = Report(AgentChannel(cn_only), "gw-cn-only", "PT-00061", 1);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  ASSERT_TRUE(GetDevice("PT-00061", &device).ok());
  EXPECT_EQ(device.last_agent().agent_id(), "gw-cn-only");
}

// agent_registry.proto defines the identity as the certificate's "first DNS SAN, else CN". The authenticator takes
// gRPC's peer identity, which is the first SAN of ANY type (IP, URI, email, DNS), so a certificate whose first SAN is
// an IP address is identified as that address.
// An agent's identity is its certificate's first DNS SAN ("x509_dns_san"; gRPC sets one property per DNS SAN), and
// its common name only when it has none; an IP SAN is never the identity.
TEST_F(MtlsAgentTest, IdentityIsTheFirstDnsSanEvenWhenAnIpSanComesFirst) {
  const CertFiles cert = Pki::Shared().IssueClientCert("ip-first", "gw-ipfirst", "IP:10.0.0.5,DNS:gw-ipfirst");
  EnrollAgent("gw-ipfirst");
  EnrollAgent("10.0.0.5");  // were the IP taken as the identity, this enrollment would admit the certificate
  RevokeAgent("10.0.0.5");
  v1::ReportResponse response;
  grpc::Status status = Report(AgentChannel(cert), "", "PT-00062", 1, &response);
  if (!status.ok()) {
    // Show which identity the server took (its refusal is audited under that identity).
    std::string refused_as;
    WaitForAudit([&](const v1::AuditEntry& entry) {
      if (entry.action() == "agent.denied") refused_as = entry.actor();
      return entry.action() == "agent.denied";
    });
    FAIL() << "refused (" << status.error_code() << " " << status.error_message() << ") as agent '" << refused_as
           << "'; expected the identity gw-ipfirst";
  }
  v1::Device device;
  ASSERT_TRUE(GetDevice("PT-00062", &device).ok());
  EXPECT_EQ(device.last_agent().agent_id(), "gw-ipfirst");
}

TEST_F(MtlsAgentTest, AgentWithoutClientCertificateIsUnauthenticated) {
  EnrollAgent("gw-5west-01");
  // The TLS handshake succeeds (people connect like this), but AgentService insists on a certificate.
  grpc::Status status = Report(PeopleChannel(), "gw-5west-01", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  v1::Device device;
  EXPECT_EQ(GetDevice("PT-00042", &device).error_code(), grpc::StatusCode::NOT_FOUND) << "nothing may be stored";
}

TEST_F(MtlsAgentTest, AdminTokenDoesNotAuthorizeAgentService) {
  EnrollAgent("gw-5west-01");
  v1::ReportRequest request;
  request.mutable_agent()->set_agent_id("gw-5west-01");
  *request.mutable_observation() = MakeObservation("PT-00042", 1);
  v1::ReportResponse response;
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  grpc::Status status = v1::AgentService::NewStub(PeopleChannel())->Report(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
}

TEST_F(MtlsAgentTest, AgentCertificateDoesNotAuthorizePeoplesServices) {
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");
  EnrollAgent("gw-5west-01");
  grpc::ClientContext context;
  Prepare(context, "");
  v1::ListDevicesResponse response;
  grpc::Status status =
      v1::InventoryService::NewStub(AgentChannel(cert))->ListDevices(&context, v1::ListDevicesRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
}

TEST_F(MtlsAgentTest, ClientCertificateFromAForeignCaFailsTheHandshake) {
  // Same subject as an enrolled agent, but issued by a CA the server does not trust.
  EnrollAgent("gw-5west-01");
  const CertFiles foreign = Pki::Shared().foreign_agent("gw-5west-01");
  ASSERT_EQ(CertCommonName(foreign.cert_pem()), "gw-5west-01");
  grpc::Status status = Report(AgentChannel(foreign), "gw-5west-01", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  v1::Device device;
  EXPECT_EQ(GetDevice("PT-00042", &device).error_code(), grpc::StatusCode::NOT_FOUND) << "nothing may be stored";
}

TEST_F(MtlsAgentTest, ExpiredClientCertificateFailsTheHandshake) {
  EnrollAgent("gw-expired");
  const CertFiles expired = Pki::Shared().expired_agent("gw-expired");
  ASSERT_EQ(CertCommonName(expired.cert_pem()), "gw-expired");
  grpc::Status status = Report(AgentChannel(expired), "gw-expired", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  v1::Device device;
  EXPECT_EQ(GetDevice("PT-00042", &device).error_code(), grpc::StatusCode::NOT_FOUND) << "nothing may be stored";
}

TEST_F(MtlsAgentTest, AgentClaimingAnotherAgentsIdIsPermissionDenied) {
  // Both agents are enrolled: a valid certificate still cannot speak for another agent.
  EnrollAgent("gw-5west-01");
  EnrollAgent("gw-5west-02");
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");
  grpc::Status status = Report(AgentChannel(cert), "gw-5west-02", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  v1::Device device;
  EXPECT_EQ(GetDevice("PT-00042", &device).error_code(), grpc::StatusCode::NOT_FOUND) << "nothing may be stored";
}

TEST_F(MtlsAgentTest, AgentClaimingAnotherIdOnTheFirstStreamBatchIsPermissionDenied) {
  EnrollAgent("gw-5west-01");
  EnrollAgent("gw-5west-02");
  grpc::ClientContext context;
  Prepare(context, "");
  auto stream = v1::AgentService::NewStub(AgentChannel(Pki::Shared().agent("gw-5west-01")))->ReportStream(&context);
  v1::ReportBatch batch;
  batch.set_batch_id(1);
  batch.mutable_agent()->set_agent_id("gw-5west-02");
  *batch.add_observations() = MakeObservation("PT-00042", 1);
  stream->Write(batch);
  stream->WritesDone();
  v1::ReportBatchAck ack;
  EXPECT_FALSE(stream->Read(&ack)) << "no batch may be acknowledged";
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
}

// A certificate holder (enrolled or not) controls the agent_id it claims. The TLS path compares the claim with the
// certificate but never validates it, and RefuseAgent copies it into the audit entry ("claimed to be <claim>") and
// the log line: any multi-line or multi-megabyte text lands in the tamper-evident log, whose before/after are
// documented as one-line summaries.
// Over TLS, an agent id claimed in the request is checked against the agent-id grammar before it is compared or
// audited, so no text from the request reaches the audit log verbatim.
TEST_F(MtlsAgentTest, ClaimedAgentIdIsNotCopiedVerbatimIntoTheAuditLog) {
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");  // not even enrolled
  const std::string claim = "gw-x\n2026-01-01 agent.enroll by root.admin: gw-evil ENROLLED\n" + std::string(4'000, 'A');
  grpc::Status status = Report(AgentChannel(cert), claim, "PT-00042", 1);
  EXPECT_TRUE(status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
              status.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_code() << " " << status.error_message();
  // Let the asynchronous denial audit land (a fixed service may refuse without auditing: then this just times out).
  WaitForAudit([](const v1::AuditEntry& entry) { return entry.action() == "agent.denied"; }, absl::Seconds(2));
  for (const v1::AuditEntry& entry : AllAudit()) {
    SCOPED_TRACE(absl::StrCat("audit entry ", entry.index(), " ", entry.action()));
    for (const std::string* field : {&entry.actor(), &entry.target(), &entry.before(), &entry.after()}) {
      EXPECT_EQ(field->find('\n'), std::string::npos) << "multi-line audit text: " << field->substr(0, 120);
      EXPECT_LE(field->size(), 1024u) << "unbounded audit text: " << field->size() << " bytes";
    }
  }
}

TEST_F(MtlsAgentTest, ValidCertificateOfAnAgentThatIsNotEnrolledIsPermissionDenied) {
  const CertFiles cert = Pki::Shared().agent("gw-unknown");
  grpc::Status status = Report(AgentChannel(cert), "gw-unknown", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
}

TEST_F(MtlsAgentTest, RevokedAgentIsPermissionDeniedOnReport) {
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");
  EnrollAgent("gw-5west-01");
  auto channel = AgentChannel(cert);
  grpc::Status before = Report(channel, "gw-5west-01", "PT-00042", 1);
  ASSERT_TRUE(before.ok()) << before.error_message();
  EXPECT_EQ(RevokeAgent("gw-5west-01").state(), v1::AGENT_STATE_REVOKED);
  // Same connection: revocation applies to the very next call.
  grpc::Status after = Report(channel, "gw-5west-01", "PT-00042", 2);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::PERMISSION_DENIED) << after.error_message();
  v1::Device device;
  ASSERT_TRUE(GetDevice("PT-00042", &device).ok());
  EXPECT_EQ(device.last_observation().sequence(), 1u) << "the refused report must not be stored";
}

TEST_F(MtlsAgentTest, RevokedAgentIsRefusedOnTheNextBatchOfAnOpenStream) {
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");
  EnrollAgent("gw-5west-01");
  grpc::ClientContext context;
  Prepare(context, "");
  auto stream = v1::AgentService::NewStub(AgentChannel(cert))->ReportStream(&context);

  v1::ReportBatch first;
  first.set_batch_id(1);
  first.mutable_agent()->set_agent_id("gw-5west-01");
  first.mutable_agent()->set_agent_version("0.1.0");
  *first.add_observations() = MakeObservation("PT-00042", 1);
  ASSERT_TRUE(stream->Write(first));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_EQ(ack.batch_id(), 1u);
  EXPECT_EQ(ack.status(), v1::BATCH_STATUS_PROCESSED);
  ASSERT_EQ(ack.results_size(), 1);
  EXPECT_EQ(ack.results(0).result(), v1::REPORT_RESULT_ACCEPTED);

  RevokeAgent("gw-5west-01");

  v1::ReportBatch second;
  second.set_batch_id(2);
  *second.add_observations() = MakeObservation("PT-00042", 2);
  stream->Write(second);  // may or may not be accepted by the transport; the refusal comes as the call's status
  EXPECT_FALSE(stream->Read(&ack)) << "batch " << ack.batch_id() << " was acknowledged after revocation";
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();

  v1::Device device;
  ASSERT_TRUE(GetDevice("PT-00042", &device).ok());
  EXPECT_EQ(device.last_observation().sequence(), 1u) << "the refused batch must not be stored";
}

// Every later batch on an open stream is re-authorised, whether it repeats the stream's agent or leaves it out, so a
// revoked (e.g. compromised) agent cannot keep reporting on a stream it opened before its revocation.
TEST_F(MtlsAgentTest, RevokedAgentRepeatingItsAgentOnLaterBatchesIsStillRefusedOnAnOpenStream) {
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");
  EnrollAgent("gw-5west-01");
  for (const bool empty_id : {false, true}) {
    SCOPED_TRACE(empty_id ? "later batches carry agent {agent_id: \"\", same version}"
                          : "later batches repeat the first batch's agent");
    const std::string asset_tag = empty_id ? "PT-00051" : "PT-00050";
    EnrollAgent("gw-5west-01");  // re-enrolls after the previous round's revocation
    grpc::ClientContext context;
    Prepare(context, "");
    auto stream = v1::AgentService::NewStub(AgentChannel(cert))->ReportStream(&context);
    v1::ReportBatch first;
    first.set_batch_id(1);
    first.mutable_agent()->set_agent_id("gw-5west-01");
    first.mutable_agent()->set_agent_version("0.1.0");
    *first.add_observations() = MakeObservation(asset_tag, 1);
    ASSERT_TRUE(stream->Write(first));
    v1::ReportBatchAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    ASSERT_EQ(ack.status(), v1::BATCH_STATUS_PROCESSED);

    RevokeAgent("gw-5west-01");

    v1::ReportBatch second;
    second.set_batch_id(2);
    *second.mutable_agent() = first.agent();
    if (empty_id) second.mutable_agent()->clear_agent_id();
    *second.add_observations() = MakeObservation(asset_tag, 2);
    stream->Write(second);
    stream->WritesDone();
    const bool acknowledged = stream->Read(&ack);
    EXPECT_FALSE(acknowledged) << "batch 2 of a revoked agent was acknowledged with status "
                               << v1::BatchStatus_Name(ack.status());
    while (stream->Read(&ack)) {
    }
    grpc::Status status = stream->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    v1::Device device;
    ASSERT_TRUE(GetDevice(asset_tag, &device).ok());
    EXPECT_EQ(device.last_observation().sequence(), 1u) << "a revoked agent's observation was stored";
  }
}

TEST_F(MtlsAgentTest, ServerCertificateCannotBeUsedAsAnAgentCertificate) {
  // The server certificate comes from the same CA, but its extended key usage is serverAuth only. Even if someone
  // enrolled its identity, presenting it as a client certificate fails the handshake.
  EnrollAgent("localhost");
  grpc::Status status = Report(AgentChannel(Pki::Shared().server()), "", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  v1::Device device;
  EXPECT_EQ(GetDevice("PT-00042", &device).error_code(), grpc::StatusCode::NOT_FOUND) << "nothing may be stored";
}

TEST_F(MtlsAgentTest, RefusalOfARevokedAgentIsAudited) {
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");
  EnrollAgent("gw-5west-01");
  RevokeAgent("gw-5west-01");
  grpc::Status status = Report(AgentChannel(cert), "gw-5west-01", "PT-00042", 1);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  // Written asynchronously (off the reactor thread): poll briefly.
  EXPECT_TRUE(WaitForAudit([](const v1::AuditEntry& entry) { return IsDenial(entry, "gw-5west-01"); }));
  for (const v1::AuditEntry& entry : AllAudit()) {
    if (IsDenial(entry, "gw-5west-01")) {
      EXPECT_EQ(entry.after(), "revoked");
    }
  }
}

TEST_F(MtlsAgentTest, RefusalOfAnUnenrolledAgentIsAudited) {
  grpc::Status status = Report(AgentChannel(Pki::Shared().agent("gw-unknown")), "", "PT-00042", 1);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_TRUE(WaitForAudit([](const v1::AuditEntry& entry) { return IsDenial(entry, "gw-unknown"); }));
}

TEST_F(MtlsAgentTest, RefusalOfAStreamAfterRevocationIsAudited) {
  const CertFiles cert = Pki::Shared().agent("gw-5west-01");
  EnrollAgent("gw-5west-01");
  grpc::ClientContext context;
  Prepare(context, "");
  auto stream = v1::AgentService::NewStub(AgentChannel(cert))->ReportStream(&context);
  v1::ReportBatch first;
  first.set_batch_id(1);
  first.mutable_agent()->set_agent_id("gw-5west-01");
  *first.add_observations() = MakeObservation("PT-00042", 1);
  ASSERT_TRUE(stream->Write(first));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream->Read(&ack));
  RevokeAgent("gw-5west-01");
  v1::ReportBatch second;
  second.set_batch_id(2);
  *second.add_observations() = MakeObservation("PT-00042", 2);
  stream->Write(second);
  EXPECT_FALSE(stream->Read(&ack));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(WaitForAudit([](const v1::AuditEntry& entry) { return IsDenial(entry, "gw-5west-01"); }));
}

}  // namespace
}  // namespace pumptrack::security_testing
