#include "tests/security/security_test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "openssl/bio.h"
#include "openssl/bn.h"
#include "openssl/pem.h"
#include "openssl/x509.h"
#include "service/offline_admin.h"

#ifndef PUMPTRACK_SOURCE_DIR
#error "PUMPTRACK_SOURCE_DIR must be defined (the project's source directory, for scripts/make-pki)"
#endif

namespace pumptrack::security_testing {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kCallDeadline = absl::Seconds(10);

std::string Sanitize(std::string text) {
  for (char& c : text) {
    if (c == '/' || c == ' ') c = '_';
  }
  return text;
}

// Runs a command that must succeed; fails the current test (and returns false) otherwise.
bool MustRun(const std::string& command) {
  CommandResult result = RunCommand(command);
  if (result.exit_code != 0) {
    ADD_FAILURE() << "command failed (exit " << result.exit_code << "): " << command << "\nstdout: " << result.out
                  << "\nstderr: " << result.err;
    return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------------

TempDir::TempDir(const std::string& label) {
  static std::atomic<int> counter{0};
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name =
      label.empty() && info != nullptr ? absl::StrCat(info->test_suite_name(), ".", info->name()) : label;
  std::random_device random;
  path_ =
      (std::filesystem::path(::testing::TempDir()) / absl::StrCat("pumptrack-security-", Sanitize(name), "-", getpid(),
                                                                  "-", counter.fetch_add(1), "-", random() % 100000))
          .string();
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string temporary = absl::StrCat(path, ".tmp-", getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << contents;
    ASSERT_TRUE(out.flush()) << "cannot write " << temporary;
  }
  ASSERT_EQ(std::rename(temporary.c_str(), path.c_str()), 0) << "cannot rename onto " << path;
}

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

CommandResult RunCommand(const std::string& command) {
  static std::atomic<int> counter{0};
  const std::string base =
      absl::StrCat(::testing::TempDir(), "/pumptrack-security-cmd-", getpid(), "-", counter.fetch_add(1));
  const std::string out_path = base + ".out";
  const std::string err_path = base + ".err";
  const std::string full =
      absl::StrCat("( ", command, " ) >", ShellQuote(out_path), " 2>", ShellQuote(err_path), " </dev/null");
  const int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return result;
}

namespace {

X509* ParseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

}  // namespace

std::string CertSerialHex(const std::string& pem) {
  X509* cert = ParseCert(pem);
  if (cert == nullptr) return "";
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  char* hex = bn != nullptr ? BN_bn2hex(bn) : nullptr;
  std::string serial = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  X509_free(cert);
  return serial;
}

std::string CertCommonName(const std::string& pem) {
  X509* cert = ParseCert(pem);
  if (cert == nullptr) return "";
  char buffer[256] = {};
  const int length = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof(buffer));
  X509_free(cert);
  return length > 0 ? std::string(buffer, static_cast<std::size_t>(length)) : "";
}

// ---------------------------------------------------------------------------------------------------------------------

Pki& Pki::Shared() {
  static Pki* pki = new Pki();  // never destroyed mid-test; the directory is removed at exit (see atexit below)
  return *pki;
}

Pki::Pki() {
  root_ = std::make_unique<TempDir>("pki");
  std::atexit([] { Shared().root_.reset(); });
}

Pki::~Pki() = default;

void Pki::MakePki(const std::string& dir, const std::string& agent_id) {
  MustRun(absl::StrCat("bash ", ShellQuote(absl::StrCat(PUMPTRACK_SOURCE_DIR, "/scripts/make-pki")), " ",
                       ShellQuote(dir), agent_id.empty() ? "" : " " + ShellQuote(agent_id)));
}

std::string Pki::ca_path() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string dir = root_->Sub("main");
  if (!std::filesystem::exists(dir + "/server.pem")) MakePki(dir, "");
  return dir + "/ca.pem";
}

CertFiles Pki::server() {
  ca_path();
  const std::string dir = root_->Sub("main");
  return {dir + "/server.pem", dir + "/server.key"};
}

CertFiles Pki::agent(const std::string& agent_id) {
  ca_path();
  std::lock_guard<std::mutex> lock(mu_);
  const std::string dir = root_->Sub("main");
  CertFiles files{dir + "/agents/" + agent_id + ".pem", dir + "/agents/" + agent_id + ".key"};
  if (!std::filesystem::exists(files.cert_path)) MakePki(dir, agent_id);
  return files;
}

std::string Pki::foreign_ca_path() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string dir = root_->Sub("foreign");
  if (!std::filesystem::exists(dir + "/server.pem")) MakePki(dir, "");
  return dir + "/ca.pem";
}

CertFiles Pki::foreign_agent(const std::string& agent_id) {
  foreign_ca_path();
  std::lock_guard<std::mutex> lock(mu_);
  const std::string dir = root_->Sub("foreign");
  CertFiles files{dir + "/agents/" + agent_id + ".pem", dir + "/agents/" + agent_id + ".key"};
  if (!std::filesystem::exists(files.cert_path)) MakePki(dir, agent_id);
  return files;
}

std::string Pki::second_ca_path() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string dir = root_->Sub("second");
  if (!std::filesystem::exists(dir + "/server.pem")) MakePki(dir, "");
  return dir + "/ca.pem";
}

CertFiles Pki::second_ca_agent(const std::string& agent_id) {
  second_ca_path();
  std::lock_guard<std::mutex> lock(mu_);
  const std::string dir = root_->Sub("second");
  CertFiles files{dir + "/agents/" + agent_id + ".pem", dir + "/agents/" + agent_id + ".key"};
  if (!std::filesystem::exists(files.cert_path)) MakePki(dir, agent_id);
  return files;
}

CertFiles Pki::expired_agent(const std::string& agent_id) {
  const std::string ca = ca_path();
  std::lock_guard<std::mutex> lock(mu_);
  const std::string main = root_->Sub("main");
  const std::string dir = root_->Sub("expired");
  CertFiles files{dir + "/" + agent_id + ".pem", dir + "/" + agent_id + ".key"};
  if (std::filesystem::exists(files.cert_path)) return files;
  std::filesystem::create_directories(dir + "/db");
  {
    std::ofstream(dir + "/db/index.txt", std::ios::trunc);
    std::ofstream(dir + "/db/serial") << "1000\n";
    // `openssl ca` takes explicit -startdate/-enddate, so the certificate is well-formed and simply expired.
    std::ofstream(dir + "/ca.cnf")
        << "[ ca ]\ndefault_ca = test_ca\n"
        << "[ test_ca ]\ndatabase = " << dir << "/db/index.txt\nnew_certs_dir = " << dir << "/db\n"
        << "serial = " << dir << "/db/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n"
        << "[ any ]\nO = optional\nCN = supplied\n"
        << "[ agent_ext ]\nsubjectAltName = DNS:" << agent_id << "\nextendedKeyUsage = clientAuth\n"
        << "basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\n";
  }
  const std::string csr = dir + "/" + agent_id + ".csr";
  MustRun(absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj ",
                       ShellQuote("/O=pumptrack/CN=" + agent_id), " -keyout ", ShellQuote(files.key_path), " -out ",
                       ShellQuote(csr)));
  MustRun(absl::StrCat("openssl ca -batch -notext -config ", ShellQuote(dir + "/ca.cnf"), " -cert ", ShellQuote(ca),
                       " -keyfile ", ShellQuote(main + "/ca.key"), " -in ", ShellQuote(csr), " -out ",
                       ShellQuote(files.cert_path),
                       " -startdate 20200101000000Z -enddate 20200201000000Z -extensions agent_ext"));
  return files;
}

CertFiles Pki::IssueServerCert(const std::string& out_prefix) {
  const std::string ca = ca_path();
  std::lock_guard<std::mutex> lock(mu_);
  const std::string main = root_->Sub("main");
  CertFiles files{out_prefix + ".pem", out_prefix + ".key"};
  const std::string ext = out_prefix + ".ext";
  std::ofstream(ext, std::ios::trunc) << "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                                      << "basicConstraints=critical,CA:FALSE\n"
                                      << "keyUsage=critical,digitalSignature,keyEncipherment\n";
  MustRun(
      absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/O=pumptrack/CN=pumptrackd'",
                   " -keyout ", ShellQuote(files.key_path), " -out ", ShellQuote(out_prefix + ".csr")));
  MustRun(absl::StrCat("openssl x509 -req -in ", ShellQuote(out_prefix + ".csr"), " -CA ", ShellQuote(ca), " -CAkey ",
                       ShellQuote(main + "/ca.key"), " -set_serial ", 0x5000 + (++issued_), " -days 30 -extfile ",
                       ShellQuote(ext), " -out ", ShellQuote(files.cert_path)));
  return files;
}

CertFiles Pki::IssueClientCert(const std::string& stem, const std::string& cn, const std::string& san) {
  const std::string ca = ca_path();
  std::lock_guard<std::mutex> lock(mu_);
  const std::string main = root_->Sub("main");
  const std::string dir = root_->Sub("custom");
  std::filesystem::create_directories(dir);
  const std::string prefix = dir + "/" + stem;
  CertFiles files{prefix + ".pem", prefix + ".key"};
  if (std::filesystem::exists(files.cert_path)) return files;
  {
    std::ofstream ext(prefix + ".ext", std::ios::trunc);
    if (!san.empty()) ext << "subjectAltName=" << san << "\n";
    ext << "extendedKeyUsage=clientAuth\nbasicConstraints=critical,CA:FALSE\n"
        << "keyUsage=critical,digitalSignature,keyEncipherment\n";
  }
  MustRun(absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj ",
                       ShellQuote("/O=pumptrack/CN=" + cn), " -keyout ", ShellQuote(files.key_path), " -out ",
                       ShellQuote(prefix + ".csr")));
  MustRun(absl::StrCat("openssl x509 -req -in ", ShellQuote(prefix + ".csr"), " -CA ", ShellQuote(ca), " -CAkey ",
                       ShellQuote(main + "/ca.key"), " -set_serial ", 0x7000 + (++issued_), " -days 30 -extfile ",
                       ShellQuote(prefix + ".ext"), " -out ", ShellQuote(files.cert_path)));
  return files;
}

RotatableTlsFiles CopyTlsFiles(const std::string& dir) {
  Pki& pki = Pki::Shared();
  RotatableTlsFiles files{dir + "/server.pem", dir + "/server.key", dir + "/client-ca.pem"};
  std::filesystem::create_directories(dir);
  WriteFileAtomically(files.cert, pki.server().cert_pem());
  WriteFileAtomically(files.key, pki.server().key_pem());
  WriteFileAtomically(files.client_ca, pki.ca_pem());
  return files;
}

// ---------------------------------------------------------------------------------------------------------------------

service::ServerOptions SecurityServerTest::TlsOptions() {
  Pki& pki = Pki::Shared();
  service::ServerOptions options;
  options.data_dir = data_dir_;
  options.grpc_listen = "127.0.0.1:0";
  options.metrics_listen = "";
  options.tls_cert = pki.server().cert_path;
  options.tls_key = pki.server().key_path;
  options.tls_client_ca = pki.ca_path();
  options.clock = clock_.AsFunction();
  return options;
}

service::ServerOptions SecurityServerTest::InsecureOptions() {
  service::ServerOptions options;
  options.data_dir = data_dir_;
  options.grpc_listen = "127.0.0.1:0";
  options.metrics_listen = "";
  options.insecure = true;
  options.clock = clock_.AsFunction();
  return options;
}

void SecurityServerTest::StartServer(service::ServerOptions options) {
  ASSERT_EQ(server_, nullptr) << "server already running";
  if (admin_secret_.empty()) {
    absl::StatusOr<storage::CreatedToken> admin =
        service::CreateTokenOffline(options.data_dir, kAdminName, "admin", absl::ZeroDuration());
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_secret_ = admin->secret;
  }
  insecure_ = options.insecure;
  absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
}

void SecurityServerTest::StopServer() {
  if (server_ != nullptr) {
    server_->Shutdown(absl::Seconds(2));
    server_.reset();
  }
}

std::string SecurityServerTest::Target() const {
  // An IP address, not "localhost": a bare machine may have no /etc/hosts. The server certificate has an IP SAN.
  return absl::StrCat("127.0.0.1:", port());
}

std::shared_ptr<grpc::ChannelCredentials> SecurityServerTest::TlsCredentials(const std::string& root_pem,
                                                                             const CertFiles* client) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = root_pem;
  if (client != nullptr) {
    ssl.pem_private_key = client->key_pem();
    ssl.pem_cert_chain = client->cert_pem();
  }
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::Channel> SecurityServerTest::Channel(const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                                                           const grpc::ChannelArguments& extra) {
  grpc::ChannelArguments args = extra;
  // Every channel gets its own connection, so a test sees the handshake it asked for.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(Target(), credentials, args);
}

std::shared_ptr<grpc::Channel> SecurityServerTest::PeopleChannel() {
  if (insecure_) return Channel(grpc::InsecureChannelCredentials());
  return Channel(TlsCredentials(Pki::Shared().ca_pem()));
}

std::shared_ptr<grpc::Channel> SecurityServerTest::AgentChannel(const CertFiles& cert) {
  return Channel(TlsCredentials(Pki::Shared().ca_pem(), &cert));
}

void SecurityServerTest::Prepare(grpc::ClientContext& context, const std::string& secret) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  if (!secret.empty()) context.AddMetadata("authorization", "Bearer " + secret);
}

grpc::Status SecurityServerTest::ListTokens(const std::string& secret, v1::ListTokensResponse* response) {
  v1::ListTokensResponse ignored;
  grpc::ClientContext context;
  Prepare(context, secret);
  return v1::TokenService::NewStub(PeopleChannel())
      ->ListTokens(&context, v1::ListTokensRequest(), response != nullptr ? response : &ignored);
}

grpc::Status SecurityServerTest::ListDevices(const std::string& secret, v1::ListDevicesResponse* response) {
  v1::ListDevicesResponse ignored;
  grpc::ClientContext context;
  Prepare(context, secret);
  return v1::InventoryService::NewStub(PeopleChannel())
      ->ListDevices(&context, v1::ListDevicesRequest(), response != nullptr ? response : &ignored);
}

grpc::Status SecurityServerTest::VerifyAudit(const std::string& secret, v1::VerifyAuditResponse* response) {
  grpc::ClientContext context;
  Prepare(context, secret);
  return v1::AuditService::NewStub(PeopleChannel())->VerifyAudit(&context, v1::VerifyAuditRequest(), response);
}

grpc::Status SecurityServerTest::ListAudit(const std::string& secret, const v1::ListAuditRequest& request,
                                           v1::ListAuditResponse* response) {
  grpc::ClientContext context;
  Prepare(context, secret);
  return v1::AuditService::NewStub(PeopleChannel())->ListAudit(&context, request, response);
}

v1::CreateTokenResponse SecurityServerTest::CreateToken(const std::string& name, v1::Role role, absl::Duration ttl) {
  v1::CreateTokenRequest request;
  request.set_name(name);
  request.set_role(role);
  if (ttl > absl::ZeroDuration()) {
    *request.mutable_ttl() = TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(ttl));
  }
  v1::CreateTokenResponse response;
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  grpc::Status status = v1::TokenService::NewStub(PeopleChannel())->CreateToken(&context, request, &response);
  EXPECT_TRUE(status.ok()) << "CreateToken(" << name << "): " << status.error_code() << " " << status.error_message();
  return response;
}

v1::Token SecurityServerTest::RevokeToken(const std::string& id) {
  v1::RevokeTokenRequest request;
  request.set_id(id);
  v1::Token response;
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  grpc::Status status = v1::TokenService::NewStub(PeopleChannel())->RevokeToken(&context, request, &response);
  EXPECT_TRUE(status.ok()) << "RevokeToken(" << id << "): " << status.error_code() << " " << status.error_message();
  return response;
}

v1::Agent SecurityServerTest::EnrollAgent(const std::string& agent_id) {
  v1::EnrollAgentRequest request;
  request.set_agent_id(agent_id);
  request.set_note("security test");
  v1::Agent response;
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  grpc::Status status = v1::AgentRegistryService::NewStub(PeopleChannel())->EnrollAgent(&context, request, &response);
  EXPECT_TRUE(status.ok()) << "EnrollAgent(" << agent_id << "): " << status.error_code() << " "
                           << status.error_message();
  return response;
}

v1::Agent SecurityServerTest::RevokeAgent(const std::string& agent_id) {
  v1::RevokeAgentRequest request;
  request.set_agent_id(agent_id);
  v1::Agent response;
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  grpc::Status status = v1::AgentRegistryService::NewStub(PeopleChannel())->RevokeAgent(&context, request, &response);
  EXPECT_TRUE(status.ok()) << "RevokeAgent(" << agent_id << "): " << status.error_code() << " "
                           << status.error_message();
  return response;
}

grpc::Status SecurityServerTest::GetDevice(const std::string& asset_tag, v1::Device* device) {
  v1::GetDeviceRequest request;
  request.mutable_device()->set_asset_tag(asset_tag);
  grpc::ClientContext context;
  Prepare(context, admin_secret_);
  return v1::InventoryService::NewStub(PeopleChannel())->GetDevice(&context, request, device);
}

std::vector<v1::AuditEntry> SecurityServerTest::AllAudit() {
  std::vector<v1::AuditEntry> entries;
  v1::ListAuditRequest request;
  request.set_page_size(1000);
  for (int page = 0; page < 100; ++page) {
    v1::ListAuditResponse response;
    grpc::Status status = ListAudit(admin_secret_, request, &response);
    EXPECT_TRUE(status.ok()) << "ListAudit: " << status.error_code() << " " << status.error_message();
    if (!status.ok()) break;
    for (const v1::AuditEntry& entry : response.entries()) entries.push_back(entry);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return entries;
}

bool SecurityServerTest::WaitForAudit(const std::function<bool(const v1::AuditEntry&)>& match, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    for (const v1::AuditEntry& entry : AllAudit()) {
      if (match(entry)) return true;
    }
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

v1::Observation SecurityServerTest::MakeObservation(const std::string& asset_tag, std::uint64_t sequence) const {
  v1::Observation observation;
  observation.mutable_identity()->set_asset_tag(asset_tag);
  observation.mutable_identity()->set_serial_number("SN-" + asset_tag);
  observation.mutable_identity()->set_manufacturer("Acme Medical");
  observation.mutable_identity()->set_model("Infusia 500");
  *observation.mutable_observed_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(clock_.Now()));
  observation.set_sequence(sequence);
  v1::Location* location = observation.mutable_location();
  location->set_facility("general");
  location->set_building("north");
  location->set_floor("3");
  location->set_unit("5-west");
  location->set_room("512");
  location->set_source(v1::LOCATION_SOURCE_RTLS);
  location->set_confidence(0.9f);
  observation.set_firmware_version("12.1.3");
  observation.set_operating_state(v1::OPERATING_STATE_IDLE);
  return observation;
}

grpc::Status SecurityServerTest::Report(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& claimed_agent_id, const std::string& asset_tag,
                                        std::uint64_t sequence, v1::ReportResponse* response) {
  v1::ReportRequest request;
  request.mutable_agent()->set_agent_id(claimed_agent_id);
  request.mutable_agent()->set_agent_version("0.1.0");
  *request.mutable_observation() = MakeObservation(asset_tag, sequence);
  v1::ReportResponse ignored;
  grpc::ClientContext context;
  Prepare(context, "");
  return v1::AgentService::NewStub(channel)->Report(&context, request, response != nullptr ? response : &ignored);
}

}  // namespace pumptrack::security_testing
