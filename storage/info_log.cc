#include "storage/info_log.h"

#include <cstdarg>
#include <cstdio>
#include <string>
#include <utility>

namespace pumptrack::storage {
namespace {

class ForwardingInfoLog : public rocksdb::Logger {
 public:
  ForwardingInfoLog(InfoLogSink sink, rocksdb::InfoLogLevel min_level)
      : rocksdb::Logger(min_level), sink_(std::move(sink)) {}

  // RocksDB calls this overload for messages without a level (header lines); they are informational.
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buffer[1024];
    va_list copy;
    va_copy(copy, ap);
    const int needed = std::vsnprintf(buffer, sizeof(buffer), format, copy);
    va_end(copy);
    if (needed < 0) return;
    if (static_cast<std::size_t>(needed) < sizeof(buffer)) {
      sink_(level, absl::string_view(buffer, static_cast<std::size_t>(needed)));
      return;
    }
    std::string long_message(static_cast<std::size_t>(needed) + 1, '\0');
    std::vsnprintf(long_message.data(), long_message.size(), format, ap);
    long_message.pop_back();
    sink_(level, long_message);
  }

 private:
  const InfoLogSink sink_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewForwardingInfoLog(InfoLogSink sink, rocksdb::InfoLogLevel min_level) {
  return std::make_shared<ForwardingInfoLog>(std::move(sink), min_level);
}

InfoLogSink StderrInfoLogSink() {
  return [](rocksdb::InfoLogLevel level, absl::string_view message) {
    if (level < rocksdb::InfoLogLevel::WARN_LEVEL) return;
    std::fprintf(stderr, "rocksdb: %.*s\n", static_cast<int>(message.size()), message.data());
  };
}

}  // namespace pumptrack::storage
