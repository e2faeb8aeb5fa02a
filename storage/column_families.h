#ifndef PUMPTRACK_STORAGE_COLUMN_FAMILIES_H_
#define PUMPTRACK_STORAGE_COLUMN_FAMILIES_H_

#include <array>
#include <cstddef>

#include "absl/strings/string_view.h"

namespace pumptrack::storage {

// The column families of a pumptrack data directory. The order and names are part of the on-disk format:
// append new families at the end; never reorder, rename or remove one.
enum class ColumnFamily : std::size_t {
  kDefault = 0,          // unused by pumptrack; RocksDB requires it.
  kMeta = 1,             // format version and other single values.
  kDevices = 2,          // asset tag -> pumptrack.v1.Device (current state).
  kSerialIndex = 3,      // serial number -> asset tag.
  kDeviceIndex = 4,      // (dimension, value, asset tag) -> empty; secondary indexes for ListDevices.
  kHistory = 5,          // (asset tag, inverted time, inverted sequence) -> pumptrack.v1.HistoryEntry.
  kTokens = 6,           // SHA-256 of a token secret -> pumptrack.v1.Token.
  kAgents = 7,           // agent id -> pumptrack.v1.Agent.
  kAudit = 8,            // entry index (big-endian) -> pumptrack.v1.AuditEntry; a hash chain.
  kFindings = 9,         // finding number (big-endian) -> pumptrack.v1.Finding, open and resolved.
  kDeviceFindings = 10,  // (asset tag, finding number) -> empty; every finding of a device.
  kOpenFindings = 11,    // (asset tag, rule) -> finding number; the open finding of each device and rule.
  kCustodyHistory = 12,  // (asset tag, big-endian event index) -> pumptrack.v1.CustodyEvent; the chain of custody.
  kCheckouts = 13,       // asset tag -> empty; the pumps checked out now (custody IN_TRANSIT).
  kMaintenance = 14,     // (asset tag, big-endian record index) -> pumptrack.v1.MaintenanceRecord.
  kAdvisories = 15,      // tracking id -> pumptrack.v1.Advisory; the newest imported revision of each advisory.
  kUtilization = 16,     // operating-state checkpoints per device and peak-use buckets per unit (UtilizationStore).
};

inline constexpr std::array<absl::string_view, 17> kColumnFamilyNames = {
    "default",         "meta",      "devices",     "serial_index", "device_index",    "history",
    "tokens",          "agents",    "audit",       "findings",     "device_findings", "open_findings",
    "custody_history", "checkouts", "maintenance", "advisories",   "utilization",
};

inline constexpr std::size_t kColumnFamilyCount = kColumnFamilyNames.size();

constexpr absl::string_view ColumnFamilyName(ColumnFamily cf) {
  return kColumnFamilyNames[static_cast<std::size_t>(cf)];
}

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_COLUMN_FAMILIES_H_
