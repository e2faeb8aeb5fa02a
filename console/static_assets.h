#ifndef PUMPTRACK_CONSOLE_STATIC_ASSETS_H_
#define PUMPTRACK_CONSOLE_STATIC_ASSETS_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace pumptrack::console {

// One file embedded at build time (console/embed_assets.cmake): its request path ("/index.html") and bytes.
struct EmbeddedAsset {
  const char* path;
  const unsigned char* data;
  std::size_t size;
};

// The pages of console/web/, embedded into pumptrackd (empty when the folder is).
std::span<const EmbeddedAsset> WebAssets();

// The Content-Type served for `path`, by extension: .html .js .mjs .css .svg .png .ico .json .woff2 .txt .map;
// application/octet-stream for anything else.
absl::string_view ContentTypeFor(absl::string_view path);

// Embedded files by request path. Lookups are exact string matches against the embedded table: nothing a request
// names ever reaches the file system, and "/../x", "/%2e%2e/x" or "//x" simply match nothing. Thread-safe (immutable).
class StaticAssets {
 public:
  struct File {
    absl::string_view content_type;
    absl::string_view body;
  };

  explicit StaticAssets(std::span<const EmbeddedAsset> assets);

  // The file for a request path; "/" is "/index.html". Null when nothing embedded has exactly that path.
  const File* Find(absl::string_view path) const;

  std::size_t size() const { return files_.size(); }

 private:
  absl::flat_hash_map<std::string, File> files_;
};

}  // namespace pumptrack::console

#endif  // PUMPTRACK_CONSOLE_STATIC_ASSETS_H_
