// libFuzzer target: storage key decoding (storage/keys). Keys come back from disk, so every parser must take any
// bytes without crashing, and a key a parser accepts must be exactly the key the matching encoder makes from the
// parsed parts (one encoding per value: no two keys decode to the same thing). The input's first byte picks the
// parser; the rest is the key.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/keys.h"
#include "tests/fuzz/require.h"

namespace {

namespace keys = pumptrack::storage::keys;

void Require(bool condition, const char* what) { pumptrack::fuzz::Require(condition, "keys_fuzzer", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const absl::string_view key(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      absl::StatusOr<std::string> tag = keys::ParseDeviceKey(key);
      if (tag.ok()) Require(keys::DeviceKey(*tag) == key, "device key does not round-trip");
      break;
    }
    case 1: {
      absl::StatusOr<keys::HistoryKeyParts> parts = keys::ParseHistoryKey(key);
      if (parts.ok()) {
        Require(keys::HistoryKey(parts->asset_tag, parts->observed_at, parts->sequence, parts->agent_id) == key,
                "history key does not round-trip");
        Require(key.substr(0, keys::HistoryPrefix(parts->asset_tag).size()) == keys::HistoryPrefix(parts->asset_tag),
                "history key does not start with its device's prefix");
      }
      break;
    }
    case 2: {
      absl::StatusOr<std::uint64_t> index = keys::ParseAuditKey(key);
      if (index.ok()) Require(keys::AuditKey(*index) == key, "audit key does not round-trip");
      break;
    }
    case 3: {
      // An index key under a prefix taken from the input itself: dimension byte, then a value of the given length.
      if (key.size() < 2) break;
      const auto dimension = static_cast<keys::IndexDimension>(1 + static_cast<std::uint8_t>(key[0]) % 5);
      const std::size_t value_size = std::min<std::size_t>(static_cast<std::uint8_t>(key[1]), key.size() - 2);
      const absl::string_view value = key.substr(2, value_size);
      const absl::string_view rest = key.substr(2 + value_size);
      const std::string prefix = keys::DeviceIndexPrefix(dimension, value);
      const std::string full = prefix + std::string(rest);
      absl::StatusOr<std::string> tag = keys::ParseDeviceIndexKey(prefix, full);
      if (tag.ok()) Require(keys::DeviceIndexKey(dimension, value, *tag) == full, "index key does not round-trip");
      // Arbitrary bytes under that prefix must not crash either.
      (void)keys::ParseDeviceIndexKey(prefix, key);
      break;
    }
    case 4: {
      std::string bytes(key);
      const std::string next = keys::PrefixSuccessor(bytes);
      if (next.empty()) {
        Require(bytes.find_first_not_of('\xff') == std::string::npos, "no successor for a prefix that has one");
      } else {
        Require(next > bytes && bytes + std::string(8, '\xff') < next, "successor does not bound the prefix");
      }
      break;
    }
  }
  return 0;
}
