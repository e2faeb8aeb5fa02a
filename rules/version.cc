#include "rules/version.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace pumptrack::rules {
namespace {

struct Component {
  std::uint64_t number = 0;
  absl::string_view suffix;
};

Component Parse(absl::string_view text) {
  Component component;
  std::size_t i = 0;
  while (i < text.size() && i < 18 && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
    component.number = component.number * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
  }
  component.suffix = text.substr(i);
  return component;
}

}  // namespace

bool IsDottedVersion(absl::string_view version) {
  if (version.empty() || version.size() > 64) return false;
  for (absl::string_view part : absl::StrSplit(version, '.')) {
    std::size_t digits = 0;
    while (digits < part.size() && absl::ascii_isdigit(static_cast<unsigned char>(part[digits]))) ++digits;
    if (digits == 0 || digits > 9) return false;
    for (char c : part.substr(digits)) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
  }
  return true;
}

int CompareVersions(absl::string_view a, absl::string_view b) {
  std::vector<absl::string_view> left = absl::StrSplit(a, '.');
  std::vector<absl::string_view> right = absl::StrSplit(b, '.');
  const std::size_t n = std::max(left.size(), right.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Component x = i < left.size() ? Parse(left[i]) : Component{};
    const Component y = i < right.size() ? Parse(right[i]) : Component{};
    if (x.number != y.number) return x.number < y.number ? -1 : 1;
    if (x.suffix != y.suffix) return x.suffix < y.suffix ? -1 : 1;
  }
  return 0;
}

}  // namespace pumptrack::rules
