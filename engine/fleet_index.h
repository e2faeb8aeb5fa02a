#ifndef PUMPTRACK_ENGINE_FLEET_INDEX_H_
#define PUMPTRACK_ENGINE_FLEET_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/string_ids.h"
#include "pumptrack/v1/custody.pb.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/policy.pb.h"
#include "rules/advisory_check.h"
#include "rules/policy.h"

namespace pumptrack::engine {

class ActivePolicy;
class FleetMetrics;

struct RiskGroupSummary {
  std::string key;
  std::uint32_t devices = 0;
  std::uint32_t devices_at_risk = 0;
  std::uint32_t max_score = 0;
  double mean_score = 0;
  std::uint32_t open_findings = 0;
};

// Where a device is, as the fleet index and the metrics label it (see FleetIndex::PlaceOf).
struct Place {
  std::string facility;
  std::string unit;
};

// A device's committed state as the fleet index keeps it (FindingEngine::Commit hands these over).
struct DeviceUpdate {
  Place place;
  v1::OperatingState state = v1::OPERATING_STATE_UNSPECIFIED;
  std::optional<absl::Time> heard;  // set when the device reported
  std::uint32_t risk = 0;
  std::uint32_t open = 0;
  bool missing = false;
  v1::CustodyState custody = v1::CUSTODY_STATE_AVAILABLE;
  bool blocked = false;
  // What advisories match the device by (its model, components and their versions).
  rules::AdvisoryProfile advisory_profile;
};

// The missing-deadline queue: (deadline in service-clock milliseconds since the Unix epoch, device id), earliest
// first; equal deadlines come out in id order. Milliseconds, not seconds: a pump heard at 12:00:00.010 with a 5 s
// threshold is due at 12:00:05.010, not rounded up to 12:00:06. Not thread-safe; the FleetIndex holding it guards it
// with its mutex.
class DeadlineQueue {
 public:
  using Entry = std::pair<std::int64_t, std::uint32_t>;

  // The deadline as the queue keeps it: `deadline` rounded up to the millisecond, so it is never before the real one.
  static std::int64_t ToMillis(absl::Time deadline);
  static absl::Time FromMillis(std::int64_t deadline_ms) { return absl::FromUnixMillis(deadline_ms); }

  void Push(std::int64_t deadline_ms, std::uint32_t id) { queue_.emplace(deadline_ms, id); }
  // Replaces the queue's entries with `entries` (in any order) in linear time.
  void Assign(std::vector<Entry> entries) { queue_ = Queue(std::greater<>(), std::move(entries)); }
  bool empty() const { return queue_.empty(); }
  const Entry& earliest() const { return queue_.top(); }
  void Pop() { queue_.pop(); }
  std::size_t size() const { return queue_.size(); }

 private:
  using Queue = std::priority_queue<Entry, std::vector<Entry>, std::greater<>>;
  Queue queue_;
};

// A compact in-memory index of the whole fleet: per device its place, operating state, risk, open finding count,
// missing/blocked flags and custody state. It answers what needs the whole fleet at once: the missing-deadline queue,
// risk aggregation, the availability search and per-unit available counts, and it keeps the fleet gauges of
// FleetMetrics current. Thread-safe (one mutex); updated only by FindingEngine on the writer thread.
class FleetIndex {
 public:
  // `policy` must outlive the index; `metrics` may be null. `missing_after_override` as FindingEngineOptions'.
  FleetIndex(const ActivePolicy* policy, FleetMetrics* metrics, absl::Duration missing_after_override);

  // Label values for a device's place: the site's own units, or "unknown" for places the policy's site does not list
  // (so a misbehaving agent cannot create series at will). Without a site, reported values are used as they are.
  Place PlaceOf(const std::string& facility, const std::string& unit) const;
  Place PlaceOf(const v1::Location& location) const { return PlaceOf(location.facility(), location.unit()); }

  // Start-up: Reserve room for about `devices`, Load each device read, then FinishLoad, which queues the missing
  // deadlines and publishes the fleet gauges once for all devices rather than per device.
  void Reserve(std::size_t devices);
  void Load(const std::string& tag, const DeviceUpdate& update);
  void FinishLoad();
  // Applies committed updates (metrics follow).
  void Apply(const absl::flat_hash_map<std::string, DeviceUpdate>& updates);

  // --- Missing-deadline queue ---
  // Devices whose missing deadline has passed at `now` and that are not already missing, earliest deadline first, at
  // most `limit` of them; each is returned once until it reports again. Devices not yet due stay in the queue
  // untouched, so a burst can be drained a chunk at a time without looking at them.
  std::vector<std::string> TakeExpired(absl::Time now, std::size_t limit = SIZE_MAX);
  // Puts every device that is not missing back into the queue, with deadlines under the current policy (after a
  // policy change, or after a failed missing sweep).
  void RequeueAll();
  // The earliest pending deadline, if any.
  std::optional<absl::Time> NextDeadline() const;

  // --- Risk aggregation ---
  std::vector<RiskGroupSummary> Risk(v1::GetRiskRequest::GroupBy group_by, int limit) const;
  // The device's risk score and open finding count.
  std::pair<std::uint32_t, std::uint32_t> RiskOf(absl::string_view asset_tag) const;

  // --- Availability search ---
  // Available pumps (see IsAvailable) in the unit now.
  std::uint32_t AvailableIn(absl::string_view facility, absl::string_view unit) const;
  struct AvailablePump {
    std::string asset_tag;
    std::string facility;
    std::string unit;
    v1::Proximity proximity = v1::PROXIMITY_UNSPECIFIED;
    absl::Time heard;
  };
  // Up to `count` available pumps nearest `near` first, then most recently heard from, then by tag.
  std::vector<AvailablePump> FindAvailable(const v1::Unit& near, int count) const;

  // --- Advisory targets ---
  // The devices whose model or a component model is one of `targets` (rules::ModelTarget / ComponentTarget), each
  // once, in no particular order. Visits only the devices of those targets, never the whole fleet.
  std::vector<std::string> DevicesWithTargets(const std::vector<std::string>& targets) const;
  // Each distinct advisory profile among the devices of `targets` with how many devices have it now (none with
  // zero). Visits the profiles of those targets only, not their devices: an advisory is matched against a whole
  // fleet by matching each profile once.
  std::vector<std::pair<rules::AdvisoryProfile, std::size_t>> ProfilesWithTargets(
      const std::vector<std::string>& targets) const;

  std::size_t tracked_devices() const;
  // Approximate bytes of the index (devices and deadlines), for the performance figures.
  std::size_t index_bytes() const;

 private:
  // What the index remembers of each device, compactly.
  struct Tracked {
    std::int64_t heard_ms = 0;  // service clock milliseconds, rounded up: max(last seen, service start)
    std::uint32_t place = 0;    // index into places_
    std::uint16_t open = 0;     // open findings
    std::uint8_t risk = 0;      // 0-100
    std::uint8_t state = 0;     // v1::OperatingState
    bool missing = false;       // an open missing.not_seen finding
    bool queued = false;        // has an entry in deadlines_
    std::uint8_t custody = 0;   // v1::CustodyState
    bool blocked = false;       // has an open finding that keeps it out of service (rules::BlocksService)
    std::uint32_t profile = 0;  // index into profiles_: its advisory profile
  };
  // One distinct advisory profile (most of a fleet shares a few: a model with its usual components at the versions the
  // hospital has rolled out) and the devices that have it.
  struct Profile {
    rules::AdvisoryProfile profile;
    absl::flat_hash_set<std::uint32_t> devices;
  };
  // Available to hand out: custody AVAILABLE, not missing, not blocked, idle or off.
  static bool IsAvailable(const Tracked& device);
  std::uint32_t InternPlace(const Place& place) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::int64_t DeadlineOf(const Tracked& device, const rules::CompiledPolicy& policy) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Updates the device's entry. `loading`: a device read at start-up, neither published nor queued (FinishLoad does
  // both for all devices at once).
  void Track(const std::string& tag, const DeviceUpdate& update, bool loading) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RebuildDeadlines() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ActivePolicy* const policy_;
  FleetMetrics* const metrics_;
  const absl::Duration missing_after_override_;

  mutable absl::Mutex mu_;
  StringIds tags_ ABSL_GUARDED_BY(mu_);
  std::vector<Tracked> tracked_ ABSL_GUARDED_BY(mu_);  // by id
  std::vector<Place> places_ ABSL_GUARDED_BY(mu_);
  std::vector<std::uint32_t> available_ ABSL_GUARDED_BY(mu_);  // per place
  absl::flat_hash_map<std::string, std::uint32_t> place_ids_ ABSL_GUARDED_BY(mu_);
  std::string key_buffer_ ABSL_GUARDED_BY(mu_);  // for place and profile keys, reused
  DeadlineQueue deadlines_ ABSL_GUARDED_BY(mu_);
  // profiles_[0] is the empty profile (no model, no components): no advisory can concern its devices.
  std::vector<Profile> profiles_ ABSL_GUARDED_BY(mu_) = std::vector<Profile>(1);
  absl::flat_hash_map<std::string, std::uint32_t> profile_ids_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<std::uint32_t>> profiles_by_target_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_FLEET_INDEX_H_
