#ifndef PUMPTRACK_ENGINE_TAG_IDS_H_
#define PUMPTRACK_ENGINE_TAG_IDS_H_

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

// Dense ids for asset tags: 0, 1, 2, ... in the order tags are first interned, each tag stored once. The engine's
// per-device tables keep their entries in vectors indexed by these ids rather than in maps keyed by tag: at 1M pumps a
// map's slot holds a 32-byte std::string beside the value in a table at most 7/8 full, often half, where a vector
// holds the value alone. Not thread-safe; not copyable (the index hashes through the tags it points at).
class TagIds {
 public:
  TagIds() : index_(0, Hash{&tags_}, Eq{&tags_}) {}
  TagIds(const TagIds&) = delete;
  TagIds& operator=(const TagIds&) = delete;

  std::optional<std::uint32_t> Find(absl::string_view tag) const {
    auto found = index_.find(tag);
    if (found == index_.end()) return std::nullopt;
    return *found;
  }
  // The tag's id, and whether it is new (then it is size() - 1).
  std::pair<std::uint32_t, bool> Intern(absl::string_view tag) {
    if (std::optional<std::uint32_t> id = Find(tag)) return {*id, false};
    const auto id = static_cast<std::uint32_t>(tags_.size());
    tags_.emplace_back(tag);
    index_.insert(id);
    return {id, true};
  }
  const std::string& tag(std::uint32_t id) const { return tags_[id]; }
  std::size_t size() const { return tags_.size(); }
  void reserve(std::size_t tags) {
    tags_.reserve(tags);
    index_.reserve(tags);
  }
  void clear() {
    index_.clear();
    tags_.clear();
  }
  // Approximate heap bytes, for the performance figures.
  std::size_t bytes() const {
    std::size_t bytes = tags_.capacity() * sizeof(std::string) + index_.capacity() * (sizeof(std::uint32_t) + 1);
    for (const std::string& tag : tags_) {
      if (tag.capacity() > 15) bytes += tag.capacity() + 1;  // beyond the small-string buffer
    }
    return bytes;
  }

 private:
  // The index holds ids and hashes and compares them through tags_, so each tag is stored once.
  struct Hash {
    using is_transparent = void;
    const std::vector<std::string>* tags;
    std::size_t operator()(std::uint32_t id) const { return absl::Hash<absl::string_view>()((*tags)[id]); }
    std::size_t operator()(absl::string_view tag) const { return absl::Hash<absl::string_view>()(tag); }
  };
  struct Eq {
    using is_transparent = void;
    const std::vector<std::string>* tags;
    absl::string_view View(std::uint32_t id) const { return (*tags)[id]; }
    absl::string_view View(absl::string_view tag) const { return tag; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a) == View(b);
    }
  };

  std::vector<std::string> tags_;
  absl::flat_hash_set<std::uint32_t, Hash, Eq> index_;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_TAG_IDS_H_
