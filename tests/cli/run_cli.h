// Runs the whole `pumptrack` command line in-process for CLI tests and captures what it prints.
#pragma once

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/app.h"

namespace pumptrack::cli::testing {

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs `pumptrack <args...>` exactly as given, with `environment` for PUMPTRACK_SERVER, PUMPTRACK_TOKEN and now.
inline RunResult RunCli(const std::vector<std::string>& args, const Environment& environment) {
  std::vector<const char*> argv = {"pumptrack"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int exit_code = pumptrack::cli::Run(static_cast<int>(argv.size()), argv.data(), environment, out, err);
  return RunResult{exit_code, out.str(), err.str()};
}

// A command line that must fail with a usage error, and the start of the error it prints.
struct UsageCase {
  std::vector<std::string> args;
  std::string error;
};

// Test names show the command line, not the struct's bytes.
inline void PrintTo(const UsageCase& usage, std::ostream* os) { *os << "pumptrack " << absl::StrJoin(usage.args, " "); }

// `text` split into lines, without the empty string after a final newline.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace pumptrack::cli::testing
