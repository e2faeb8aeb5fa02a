#include "console/static_assets.h"

#include <utility>

#include "absl/strings/match.h"

namespace pumptrack::console {

absl::string_view ContentTypeFor(absl::string_view path) {
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  const std::size_t slash = path.rfind('/');
  const absl::string_view name = slash == absl::string_view::npos ? path : path.substr(slash + 1);
  const std::size_t dot = name.rfind('.');
  if (dot != absl::string_view::npos) {
    const absl::string_view extension = name.substr(dot);
    for (const auto& [suffix, type] : kTypes) {
      if (absl::EqualsIgnoreCase(extension, suffix)) return type;
    }
  }
  return "application/octet-stream";
}

StaticAssets::StaticAssets(std::span<const EmbeddedAsset> assets) {
  for (const EmbeddedAsset& asset : assets) {
    files_.emplace(asset.path, File{ContentTypeFor(asset.path),
                                    absl::string_view(reinterpret_cast<const char*>(asset.data), asset.size)});
  }
}

const StaticAssets::File* StaticAssets::Find(absl::string_view path) const {
  if (path == "/") path = "/index.html";
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace pumptrack::console
