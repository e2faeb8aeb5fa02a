#pragma once

#include <string>
#include <string_view>

namespace pumptrack {

// Names the calling thread as `top -H`, `perf`, gdb and /proc/<pid>/task/*/comm show it. pumptrack's own background
// threads are named "pt-<role>" (the ingest writer "pt-writer", the missing detector "pt-missing", ...); Linux keeps
// the first 15 characters.
void NameThisThread(std::string_view name);

// The calling thread's name ("" if it has none that can be read).
std::string ThisThreadName();

}  // namespace pumptrack
