#ifndef PUMPTRACK_SERVICE_SERVICE_CONTEXT_H_
#define PUMPTRACK_SERVICE_SERVICE_CONTEXT_H_

#include <cstddef>
#include <functional>

#include "absl/time/time.h"
#include "engine/advisory_runtime.h"
#include "engine/custody_runtime.h"
#include "engine/finding_engine.h"
#include "engine/findings_runtime.h"
#include "engine/ingest_metrics.h"
#include "engine/ingest_pipeline.h"
#include "engine/maintenance_runtime.h"
#include "engine/utilization_rollup.h"
#include "service/authenticator.h"
#include "service/flow_control.h"
#include "service/session_manager.h"
#include "service/worker_pool.h"
#include "storage/agent_registry.h"
#include "storage/audit_log.h"
#include "storage/device_store.h"
#include "storage/finding_store.h"
#include "storage/token_store.h"

namespace pumptrack::service {

// What request handlers share. Everything pointed to is owned by the Server and outlives every call.
struct ServiceContext {
  storage::DeviceStore* devices = nullptr;
  storage::TokenStore* tokens = nullptr;
  storage::AgentRegistry* agents = nullptr;
  storage::AuditLog* audit = nullptr;
  engine::IngestPipeline* ingest = nullptr;
  // Runs handlers' blocking work (RocksDB reads, audited writes) off gRPC's reactor threads.
  WorkerPool* workers = nullptr;
  Authenticator* auth = nullptr;
  engine::IngestMetrics* metrics = nullptr;
  std::function<absl::Time()> clock;
  storage::FindingStore* findings = nullptr;
  engine::FindingEngine* finding_engine = nullptr;
  engine::FindingsRuntime* findings_runtime = nullptr;
  engine::CustodyRuntime* custody_runtime = nullptr;
  engine::MaintenanceRuntime* maintenance_runtime = nullptr;
  engine::AdvisoryRuntime* advisory_runtime = nullptr;
  // Directory sign-in (AuthService); its blocking directory calls run on directory_workers, never on `workers`.
  SessionManager* sessions = nullptr;
  WorkerPool* directory_workers = nullptr;
  // ReportService.GetUtilization reads it (docs/UTILIZATION.md).
  engine::UtilizationRollup* utilization = nullptr;
  // ReportStream stops reading a stream while this many of its observations are read but not yet acknowledged
  // (ServerOptions::max_stream_inflight_observations).
  std::size_t max_stream_inflight_observations = kDefaultMaxStreamInflightObservations;
  // Parses and validates ReportStream batches off gRPC's threads (null: on them).
  WorkerPool* stream_workers = nullptr;
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_SERVICE_CONTEXT_H_
