#ifndef PUMPTRACK_TESTS_FUZZ_REQUIRE_H_
#define PUMPTRACK_TESTS_FUZZ_REQUIRE_H_

#include <cstdio>
#include <cstdlib>

namespace pumptrack::fuzz {

// Aborts, naming the fuzz target and the broken invariant, unless `condition` holds: libFuzzer then saves the input
// that broke it.
inline void Require(bool condition, const char* target, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "%s: invariant violated: %s\n", target, what);
  std::abort();
}

}  // namespace pumptrack::fuzz

#endif  // PUMPTRACK_TESTS_FUZZ_REQUIRE_H_
