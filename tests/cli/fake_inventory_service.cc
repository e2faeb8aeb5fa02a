#include "tests/cli/fake_inventory_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/format.h"

namespace pumptrack::cli::testing {

namespace {

constexpr int kDefaultPageSize = 100;
constexpr char kPageTokenPrefix[] = "after:";

int PageSize(int32_t requested) { return requested == 0 ? kDefaultPageSize : requested; }

bool Matches(const v1::ListDevicesRequest& filter, const v1::Device& device) {
  const v1::Observation& observation = device.last_observation();
  auto matches = [](const std::string& wanted, const std::string& actual) {
    return wanted.empty() || wanted == actual;
  };
  return matches(filter.facility(), observation.location().facility()) &&
         matches(filter.unit(), observation.location().unit()) && matches(filter.model(), device.identity().model()) &&
         matches(filter.firmware_version(), observation.firmware_version()) &&
         (filter.operating_state() == v1::OPERATING_STATE_UNSPECIFIED ||
          filter.operating_state() == observation.operating_state());
}

bool InRange(const v1::GetDeviceHistoryRequest& request, const v1::HistoryEntry& entry) {
  const absl::Time observed = ToAbslTime(entry.observed_at());
  return (!request.has_start_time() || observed >= ToAbslTime(request.start_time())) &&
         (!request.has_end_time() || observed < ToAbslTime(request.end_time()));
}

}  // namespace

void FakeInventoryService::AddDevice(const v1::Device& device) {
  std::lock_guard lock(mutex_);
  devices_[device.identity().asset_tag()] = device;
}

void FakeInventoryService::SetHistory(const std::string& asset_tag, std::vector<v1::HistoryEntry> entries) {
  std::lock_guard lock(mutex_);
  history_[asset_tag] = std::move(entries);
}

void FakeInventoryService::SetDelay(absl::Duration delay) {
  std::lock_guard lock(mutex_);
  delay_ = delay;
}

std::vector<v1::ListDevicesRequest> FakeInventoryService::list_requests() const {
  std::lock_guard lock(mutex_);
  return list_requests_;
}

std::vector<v1::GetDeviceHistoryRequest> FakeInventoryService::history_requests() const {
  std::lock_guard lock(mutex_);
  return history_requests_;
}

std::vector<v1::SetHomeRequest> FakeInventoryService::set_home_requests() const {
  std::lock_guard lock(mutex_);
  return set_home_requests_;
}

int FakeInventoryService::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::vector<std::string> FakeInventoryService::authorization_headers() const {
  std::lock_guard lock(mutex_);
  return authorization_headers_;
}

void FakeInventoryService::BeginCall(const grpc::ServerContext& context) {
  absl::Duration delay;
  {
    std::lock_guard lock(mutex_);
    ++calls_;
    authorization_headers_.push_back(AuthorizationHeader(context));
    delay = delay_;
  }
  absl::SleepFor(delay);
}

std::optional<v1::Device> FakeInventoryService::Find(const v1::DeviceKey& key) const {
  std::lock_guard lock(mutex_);
  if (key.has_asset_tag()) {
    auto it = devices_.find(key.asset_tag());
    if (it != devices_.end()) return it->second;
    return std::nullopt;
  }
  for (const auto& [tag, device] : devices_) {
    if (key.has_serial_number() && device.identity().serial_number() == key.serial_number()) return device;
  }
  return std::nullopt;
}

grpc::Status FakeInventoryService::GetDevice(grpc::ServerContext* context, const v1::GetDeviceRequest* request,
                                             v1::Device* response) {
  BeginCall(*context);
  std::optional<v1::Device> device = Find(request->device());
  if (!device) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such device");
  *response = *device;
  return grpc::Status::OK;
}

grpc::Status FakeInventoryService::ListDevices(grpc::ServerContext* context, const v1::ListDevicesRequest* request,
                                               v1::ListDevicesResponse* response) {
  BeginCall(*context);
  std::lock_guard lock(mutex_);
  list_requests_.push_back(*request);
  absl::string_view after = request->page_token();
  if (!after.empty() && !absl::ConsumePrefix(&after, kPageTokenPrefix)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad page token");
  }
  auto it = after.empty() ? devices_.begin() : devices_.upper_bound(std::string(after));
  for (; it != devices_.end(); ++it) {
    if (!Matches(*request, it->second)) continue;
    if (response->devices_size() == PageSize(request->page_size())) {
      response->set_next_page_token(
          absl::StrCat(kPageTokenPrefix, response->devices().rbegin()->identity().asset_tag()));
      break;
    }
    *response->add_devices() = it->second;
  }
  return grpc::Status::OK;
}

grpc::Status FakeInventoryService::Locate(grpc::ServerContext* context, const v1::LocateRequest* request,
                                          v1::LocateResponse* response) {
  BeginCall(*context);
  std::optional<v1::Device> device = Find(request->device());
  if (!device) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such device");
  *response->mutable_identity() = device->identity();
  *response->mutable_location() = device->last_observation().location();
  *response->mutable_since() = device->location_since();
  *response->mutable_observed_at() = device->last_observation().observed_at();
  *response->mutable_last_seen_at() = device->last_seen_at();
  return grpc::Status::OK;
}

grpc::Status FakeInventoryService::GetDeviceHistory(grpc::ServerContext* context,
                                                    const v1::GetDeviceHistoryRequest* request,
                                                    v1::GetDeviceHistoryResponse* response) {
  BeginCall(*context);
  std::optional<v1::Device> device = Find(request->device());
  if (!device) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such device");
  std::lock_guard lock(mutex_);
  history_requests_.push_back(*request);
  std::vector<v1::HistoryEntry> in_range;
  for (const v1::HistoryEntry& entry : history_[device->identity().asset_tag()]) {
    if (InRange(*request, entry)) in_range.push_back(entry);
  }
  std::size_t first = 0;
  if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad page token");
  }
  const std::size_t end = std::min(in_range.size(), first + PageSize(request->page_size()));
  for (std::size_t i = first; i < end; ++i) *response->add_entries() = in_range[i];
  if (end < in_range.size()) response->set_next_page_token(absl::StrCat(end));
  return grpc::Status::OK;
}

grpc::Status FakeInventoryService::SetHome(grpc::ServerContext* context, const v1::SetHomeRequest* request,
                                           v1::Device* response) {
  BeginCall(*context);
  {
    std::lock_guard lock(mutex_);
    set_home_requests_.push_back(*request);
  }
  if (request->unit() != "5-west" && request->unit() != "icu-1") {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("unit: \"", request->unit(), "\" is not a unit of the policy's site"));
  }
  std::optional<v1::Device> device = Find(request->device());
  if (!device) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such device");
  device->set_home_facility("general");
  device->set_home_unit(request->unit());
  device->set_home_source(v1::HOME_SOURCE_ASSIGNED);
  std::lock_guard lock(mutex_);
  devices_[device->identity().asset_tag()] = *device;
  *response = *device;
  return grpc::Status::OK;
}

std::string AuthorizationHeader(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  if (header == metadata.end()) return "";
  return std::string(header->second.data(), header->second.size());
}

TestServer::TestServer(grpc::Service& service) : TestServer({&service}) {}

TestServer::TestServer(std::initializer_list<grpc::Service*> services) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
}

TestServer::~TestServer() { server_->Shutdown(); }

std::string TestServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

std::unique_ptr<v1::InventoryService::Stub> TestServer::NewStub() const {
  return v1::InventoryService::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
}

absl::Time TestNow() { return absl::FromCivil(absl::CivilSecond(2026, 11, 29, 10, 5, 0), absl::UTCTimeZone()); }

v1::Device MakeDevice(const std::string& asset_tag, const std::string& serial, const std::string& model,
                      const std::string& firmware, const std::string& facility, const std::string& unit,
                      const std::string& room, v1::OperatingState state, absl::Duration last_seen_ago) {
  v1::Device device;
  device.mutable_identity()->set_asset_tag(asset_tag);
  device.mutable_identity()->set_serial_number(serial);
  device.mutable_identity()->set_manufacturer("Acme Medical");
  device.mutable_identity()->set_model(model);
  v1::Observation& observation = *device.mutable_last_observation();
  *observation.mutable_identity() = device.identity();
  observation.set_firmware_version(firmware);
  observation.set_operating_state(state);
  v1::Location& location = *observation.mutable_location();
  location.set_facility(facility);
  location.set_unit(unit);
  location.set_room(room);
  *device.mutable_last_seen_at() = ToProtoTimestamp(TestNow() - last_seen_ago);
  *observation.mutable_observed_at() = device.last_seen_at();
  return device;
}

}  // namespace pumptrack::cli::testing
