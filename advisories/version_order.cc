#include "advisories/version_order.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pumptrack::advisories {
namespace {

bool IsDigit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }
bool IsLetter(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); }
bool IsGroupSeparator(char c) { return c == '.' || c == '-' || c == '_' || c == '+'; }

absl::string_view DropLeadingV(absl::string_view version) {
  if (version.size() >= 2 && (version[0] == 'v' || version[0] == 'V') && IsDigit(version[1])) {
    version.remove_prefix(1);
  }
  return version;
}

bool AllDigits(absl::string_view text) { return !text.empty() && std::all_of(text.begin(), text.end(), IsDigit); }

// "2019-07-18", "2019.07.18", "2019_07_18": a four-digit year, a month 01–12 and a day 01–31.
bool LooksLikeDate(absl::string_view version) {
  std::vector<absl::string_view> groups = absl::StrSplit(version, absl::ByAnyChar(".-_"));
  if (groups.size() != 3) return false;
  if (groups[0].size() != 4 || groups[1].size() != 2 || groups[2].size() != 2) return false;
  if (!AllDigits(groups[0]) || !AllDigits(groups[1]) || !AllDigits(groups[2])) return false;
  const int year = (groups[0][0] - '0') * 1000 + (groups[0][1] - '0') * 100;
  const int month = (groups[1][0] - '0') * 10 + (groups[1][1] - '0');
  const int day = (groups[2][0] - '0') * 10 + (groups[2][1] - '0');
  return year >= 1900 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// The next run of digits or letters at or after `pos`, skipping anything else; empty at the end.
absl::string_view NextRun(absl::string_view text, std::size_t& pos) {
  while (pos < text.size() && !IsDigit(text[pos]) && !IsLetter(text[pos])) ++pos;
  const std::size_t start = pos;
  if (pos < text.size()) {
    const bool digits = IsDigit(text[pos]);
    while (pos < text.size() && (digits ? IsDigit(text[pos]) : IsLetter(text[pos]))) ++pos;
  }
  return text.substr(start, pos - start);
}

int CompareNumbers(absl::string_view a, absl::string_view b) {
  while (a.size() > 1 && a[0] == '0') a.remove_prefix(1);
  while (b.size() > 1 && b[0] == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int CompareLetters(absl::string_view a, absl::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const char x = absl::ascii_tolower(static_cast<unsigned char>(a[i]));
    const char y = absl::ascii_tolower(static_cast<unsigned char>(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return 0;
}

}  // namespace

absl::Status CheckVersionSyntax(absl::string_view version) {
  if (version.empty()) return absl::InvalidArgumentError("empty version");
  if (version.size() > kMaxVersionLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("version \"", Utf8Prefix(version, 16), "...\" is longer than ", kMaxVersionLength, " characters"));
  }
  const absl::string_view body = DropLeadingV(version);
  bool group_start = true;
  for (char c : body) {
    if (IsDigit(c) || IsLetter(c)) {
      group_start = false;
    } else if (IsGroupSeparator(c)) {
      if (group_start) return absl::InvalidArgumentError(absl::StrCat("\"", version, "\" is not a version"));
      group_start = true;
    } else if (c == '*') {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", version, "\" is a wildcard, not a version (pumptrack does not guess what it covers)"));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("\"", version, "\" is not a version"));
    }
  }
  if (std::none_of(body.begin(), body.end(), IsDigit)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", version, "\" is not a version (it has no digit)"));
  }
  if (group_start) return absl::InvalidArgumentError(absl::StrCat("\"", version, "\" is not a version"));
  for (absl::string_view group : absl::StrSplit(body, absl::ByAnyChar(".-_+"))) {
    if (group == "x" || group == "X") {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", version, "\" is a wildcard, not a version (pumptrack does not guess what it covers)"));
    }
  }
  if (LooksLikeDate(body)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", version, "\" is a date, not a version"));
  }
  return absl::OkStatus();
}

int CompareVersionsNaturally(absl::string_view a, absl::string_view b) {
  a = DropLeadingV(a);
  b = DropLeadingV(b);
  std::size_t i = 0;
  std::size_t j = 0;
  while (true) {
    const absl::string_view x = NextRun(a, i);
    const absl::string_view y = NextRun(b, j);
    if (x.empty() && y.empty()) return 0;
    // A missing run is the number 0.
    const absl::string_view left = x.empty() ? absl::string_view("0") : x;
    const absl::string_view right = y.empty() ? absl::string_view("0") : y;
    const bool left_number = IsDigit(left[0]);
    const bool right_number = IsDigit(right[0]);
    int c = 0;
    if (left_number && right_number) {
      c = CompareNumbers(left, right);
    } else if (!left_number && !right_number) {
      c = CompareLetters(left, right);
    } else {
      c = left_number ? -1 : 1;
    }
    if (c != 0) return c;
  }
}

absl::string_view Utf8Prefix(absl::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t n = max_bytes;
  // Back off continuation bytes (10xxxxxx) and the lead byte of the cut sequence.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

std::string ProductLine(absl::string_view version) {
  version = DropLeadingV(version);
  std::size_t n = 0;
  while (n < version.size() && IsLetter(version[n])) ++n;
  return absl::AsciiStrToUpper(version.substr(0, n));
}

}  // namespace pumptrack::advisories
