#ifndef PUMPTRACK_SERVICE_GRPC_METRICS_H_
#define PUMPTRACK_SERVICE_GRPC_METRICS_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace pumptrack::service {

// gRPC request metrics: pumptrack_grpc_requests_total{method,code} and pumptrack_grpc_request_duration_seconds{method}.
// The `method` label is bounded by the methods given at construction ("/package.Service/Method"); a call to any
// other method is counted as method="unknown". Counter series for a (method, code) pair are created on first use and
// cached, so at most methods x 17 codes exist. Thread-safe.
// pumptrack_build_info{version,grpc_version,rocksdb_version} = 1: the pumptrackd build and the library versions it
// runs with. Registered once, by the server.
void RegisterBuildInfo(prometheus::Registry& registry);

class GrpcMetrics {
 public:
  GrpcMetrics(prometheus::Registry& registry, const std::vector<std::string>& methods);

  // Records one finished call. `method` is the full method name as gRPC reports it; `code` the number of its
  // grpc::StatusCode, where a number outside gRPC's codes counts as UNKNOWN (an int, so that such a number can be
  // passed at all: an enum holding it would be undefined behaviour).
  void Record(absl::string_view method, int code, double seconds);

  // The full method names of every method of these services (full protobuf names, e.g. "pumptrack.v1.AuditService"),
  // looked up in the generated descriptor pool; services not in the pool are skipped.
  static std::vector<std::string> MethodsOfServices(const std::vector<std::string>& services);

 private:
  static constexpr int kCodeCount = 17;  // grpc::StatusCode OK..UNAUTHENTICATED
  struct PerMethod {
    std::string name;
    prometheus::Histogram* duration = nullptr;
    std::array<std::atomic<prometheus::Counter*>, kCodeCount> requests{};
  };
  PerMethod& Lookup(absl::string_view method);

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  std::vector<std::unique_ptr<PerMethod>> methods_;
  absl::flat_hash_map<std::string, PerMethod*> by_name_;  // immutable after construction
  PerMethod* unknown_ = nullptr;
};

// Creates one interceptor per call that records the call's method, final status code and duration (from the call's
// start until its status is sent) into `metrics`, which must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeGrpcMetricsInterceptorFactory(
    GrpcMetrics* metrics);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_GRPC_METRICS_H_
