#include "service/grpc_metrics.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/gauge.h"
#include "rocksdb/version.h"

#ifndef PUMPTRACK_VERSION
#error "PUMPTRACK_VERSION must be defined by the build"
#endif

namespace pumptrack::service {
namespace {

// gRPC status code names as grpc-go and the gRPC spec spell them.
constexpr std::array<const char*, 17> kCodeNames = {
    "OK",        "CANCELLED",       "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS",  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",    "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED",
};

prometheus::Histogram::BucketBoundaries DurationBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcMetrics* metrics, const char* method)
      : metrics_(metrics), method_(method == nullptr ? "" : method), start_(std::chrono::steady_clock::now()) {}

  // A call that ends without sending a status (cancelled by the client or by shutdown) counts as CANCELLED.
  ~MetricsInterceptor() override {
    if (!recorded_) Finish(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Finish(grpc::StatusCode code) {
    if (recorded_) return;
    recorded_ = true;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    metrics_->Record(method_, code, elapsed.count());
  }

  GrpcMetrics* const metrics_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;  // hooks of one call never run concurrently
};

class MetricsInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method());
  }

 private:
  GrpcMetrics* const metrics_;
};

}  // namespace

void RegisterBuildInfo(prometheus::Registry& registry) {
  prometheus::BuildGauge()
      .Name("pumptrack_build_info")
      .Help("Always 1; the labels name the pumptrackd build and the library versions it runs with.")
      .Register(registry)
      .Add({{"version", PUMPTRACK_VERSION},
            {"grpc_version", grpc::Version()},
            {"rocksdb_version", absl::StrCat(ROCKSDB_MAJOR, ".", ROCKSDB_MINOR, ".", ROCKSDB_PATCH)}})
      .Set(1);
}

GrpcMetrics::GrpcMetrics(prometheus::Registry& registry, const std::vector<std::string>& methods)
    : requests_(prometheus::BuildCounter()
                    .Name("pumptrack_grpc_requests_total")
                    .Help("Finished gRPC calls, by full method name and status code.")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("pumptrack_grpc_request_duration_seconds")
                    .Help("Duration of gRPC calls from start to status (streams: their whole life), by method.")
                    .Register(registry)) {
  auto add = [this](const std::string& name) {
    auto per_method = std::make_unique<PerMethod>();
    per_method->name = name;
    per_method->duration = &duration_.Add({{"method", name}}, DurationBuckets());
    // Every method starts with an OK series, so rate() over a quiet method is 0, not absent.
    per_method->requests[0].store(&requests_.Add({{"method", name}, {"code", kCodeNames[0]}}));
    PerMethod* raw = per_method.get();
    methods_.push_back(std::move(per_method));
    return raw;
  };
  for (const std::string& method : methods) {
    if (!by_name_.contains(method)) by_name_.emplace(method, add(method));
  }
  unknown_ = add("unknown");
}

GrpcMetrics::PerMethod& GrpcMetrics::Lookup(absl::string_view method) {
  auto it = by_name_.find(method);
  return it == by_name_.end() ? *unknown_ : *it->second;
}

void GrpcMetrics::Record(absl::string_view method, int code, double seconds) {
  PerMethod& per_method = Lookup(method);
  int index = code;
  if (index < 0 || index >= kCodeCount) index = static_cast<int>(grpc::StatusCode::UNKNOWN);
  prometheus::Counter* counter = per_method.requests[index].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the existing series for equal labels, so racing first uses agree.
    counter = &requests_.Add({{"method", per_method.name}, {"code", kCodeNames[index]}});
    per_method.requests[index].store(counter, std::memory_order_release);
  }
  counter->Increment();
  per_method.duration->Observe(seconds);
}

std::vector<std::string> GrpcMetrics::MethodsOfServices(const std::vector<std::string>& services) {
  std::vector<std::string> methods;
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& service_name : services) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(service_name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      methods.push_back("/" + service->full_name() + "/" + service->method(i)->name());
    }
  }
  return methods;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeGrpcMetricsInterceptorFactory(
    GrpcMetrics* metrics) {
  return std::make_unique<MetricsInterceptorFactory>(metrics);
}

}  // namespace pumptrack::service
