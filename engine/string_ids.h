#ifndef PUMPTRACK_ENGINE_STRING_IDS_H_
#define PUMPTRACK_ENGINE_STRING_IDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace pumptrack::engine {

// Dense ids for strings: 0, 1, 2, ... in the order they are first interned, each stored once. The engine's per-device
// tables keep their entries in vectors indexed by the ids of asset tags rather than in maps keyed by tag: at 1M pumps
// a map's slot holds a 32-byte std::string beside the value in a table at most 7/8 full, often half, where a vector
// holds the value alone. Also used for the few names (facilities, units, models) many entries share. Not thread-safe;
// not copyable (the index hashes through the strings it points at).
class StringIds {
 public:
  StringIds() : index_(0, Hash{&strings_}, Eq{&strings_}) {}
  StringIds(const StringIds&) = delete;
  StringIds& operator=(const StringIds&) = delete;

  std::optional<std::uint32_t> Find(absl::string_view s) const {
    auto found = index_.find(s);
    if (found == index_.end()) return std::nullopt;
    return *found;
  }
  // The string's id, and whether it is new (then it is size() - 1).
  std::pair<std::uint32_t, bool> Intern(absl::string_view s) {
    if (std::optional<std::uint32_t> id = Find(s)) return {*id, false};
    const auto id = static_cast<std::uint32_t>(strings_.size());
    strings_.emplace_back(s);
    index_.insert(id);
    return {id, true};
  }
  const std::string& operator[](std::uint32_t id) const { return strings_[id]; }
  std::size_t size() const { return strings_.size(); }
  void reserve(std::size_t count) {
    strings_.reserve(count);
    index_.reserve(count);
  }
  void clear() {
    index_.clear();
    strings_.clear();
  }
  // Approximate heap bytes, for the performance figures.
  std::size_t bytes() const {
    std::size_t bytes = strings_.capacity() * sizeof(std::string) + index_.capacity() * (sizeof(std::uint32_t) + 1);
    for (const std::string& s : strings_) {
      if (s.capacity() > 15) bytes += s.capacity() + 1;  // beyond the small-string buffer
    }
    return bytes;
  }

 private:
  // The index holds ids and hashes and compares them through strings_, so each string is stored once.
  struct Hash {
    using is_transparent = void;
    const std::vector<std::string>* strings;
    std::size_t operator()(std::uint32_t id) const { return absl::Hash<absl::string_view>()((*strings)[id]); }
    std::size_t operator()(absl::string_view s) const { return absl::Hash<absl::string_view>()(s); }
  };
  struct Eq {
    using is_transparent = void;
    const std::vector<std::string>* strings;
    absl::string_view View(std::uint32_t id) const { return (*strings)[id]; }
    absl::string_view View(absl::string_view s) const { return s; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a) == View(b);
    }
  };

  std::vector<std::string> strings_;
  absl::flat_hash_set<std::uint32_t, Hash, Eq> index_;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_STRING_IDS_H_
