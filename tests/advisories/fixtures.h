#ifndef PUMPTRACK_TESTS_ADVISORIES_FIXTURES_H_
#define PUMPTRACK_TESTS_ADVISORIES_FIXTURES_H_

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace pumptrack::advisories::testing {

// The bytes of tests/advisories/fixtures/<name>; empty when it cannot be read (the tests then fail on it).
inline std::string ReadFixture(absl::string_view name) {
  std::ifstream in(absl::StrCat(PUMPTRACK_ADVISORY_FIXTURES, "/", name), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace pumptrack::advisories::testing

#endif  // PUMPTRACK_TESTS_ADVISORIES_FIXTURES_H_
