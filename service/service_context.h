#ifndef PUMPTRACK_SERVICE_SERVICE_CONTEXT_H_
#define PUMPTRACK_SERVICE_SERVICE_CONTEXT_H_

#include <functional>

#include "absl/time/time.h"
#include "service/ingest_pipeline.h"
#include "service/metrics.h"
#include "service/worker_pool.h"
#include "storage/device_store.h"

namespace pumptrack::service {

// What request handlers share. Everything pointed to is owned by the Server and outlives every call.
struct ServiceContext {
  storage::DeviceStore* devices = nullptr;
  IngestPipeline* ingest = nullptr;
  // Runs handlers' blocking reads off gRPC's reactor threads.
  WorkerPool* queries = nullptr;
  ServiceMetrics* metrics = nullptr;
  std::function<absl::Time()> clock;
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_SERVICE_CONTEXT_H_
