#ifndef PUMPTRACK_STORAGE_ROCKSDB_STATUS_H_
#define PUMPTRACK_STORAGE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace pumptrack::storage {

// The one place where a rocksdb::Status becomes an absl::Status. `context` names the operation ("write batch",
// "open /var/lib/pumptrack") and prefixes the message. A full disk maps to RESOURCE_EXHAUSTED, other I/O errors and
// transient conditions to UNAVAILABLE, corruption to DATA_LOSS.
absl::Status FromRocksDb(const rocksdb::Status& status, absl::string_view context);

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_ROCKSDB_STATUS_H_
