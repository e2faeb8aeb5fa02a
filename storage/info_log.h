#ifndef PUMPTRACK_STORAGE_INFO_LOG_H_
#define PUMPTRACK_STORAGE_INFO_LOG_H_

#include <functional>
#include <memory>

#include "absl/strings/string_view.h"
#include "rocksdb/env.h"

namespace pumptrack::storage {

// Where RocksDB's informational log goes: one call per message, with RocksDB's level. Called from any RocksDB thread,
// including the one writing when the volume fills up: must be thread-safe and must not write to the data volume.
using InfoLogSink = std::function<void(rocksdb::InfoLogLevel level, absl::string_view message)>;

// A rocksdb::Logger that hands every message at or above `min_level` to `sink` instead of RocksDB's own LOG file in
// the data directory. With the LOG file on the data volume, a full volume fails RocksDB's attempt to log the write
// error, and an assertion in Debian's RocksDB build then aborts the process; routed here, the log needs no disk.
std::shared_ptr<rocksdb::Logger> NewForwardingInfoLog(
    InfoLogSink sink, rocksdb::InfoLogLevel min_level = rocksdb::InfoLogLevel::INFO_LEVEL);

// The sink used when none is given: WARN and above to stderr, one line each.
InfoLogSink StderrInfoLogSink();

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_INFO_LOG_H_
