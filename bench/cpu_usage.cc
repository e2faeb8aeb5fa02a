#include "bench/cpu_usage.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace pumptrack::bench {
namespace {

constexpr std::size_t kBusiestThreads = 4;

double TicksToSeconds(double ticks) { return ticks / static_cast<double>(sysconf(_SC_CLK_TCK)); }

// User + system CPU seconds from a /proc/.../stat file, and the command name in `name` if not null; -1 if
// unreadable.
double StatCpuSeconds(const std::string& path, std::string* name) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return -1;
  // The command name (field 2) is parenthesised and may hold spaces; the other fields follow its closing one.
  const std::size_t open = line.find('(');
  const std::size_t close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return -1;
  if (name != nullptr) *name = line.substr(open + 1, close - open - 1);
  std::istringstream fields(line.substr(close + 1));
  const std::vector<std::string> values{std::istream_iterator<std::string>(fields),
                                        std::istream_iterator<std::string>()};
  // values[0] is field 3 (state); utime and stime are fields 14 and 15.
  constexpr std::size_t kUtime = 14 - 3;
  constexpr std::size_t kStime = 15 - 3;
  double utime = 0;
  double stime = 0;
  if (values.size() <= kStime || !absl::SimpleAtod(values[kUtime], &utime) ||
      !absl::SimpleAtod(values[kStime], &stime)) {
    return -1;
  }
  return TicksToSeconds(utime + stime);
}

double ProcessCpuSeconds(const std::string& pid) {
  return StatCpuSeconds(absl::StrCat("/proc/", pid, "/stat"), nullptr);
}

// Thread id -> (name, CPU seconds) for every thread of `pid`.
std::map<std::string, ThreadCpu> ThreadCpuSeconds(int pid) {
  std::map<std::string, ThreadCpu> threads;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), error)) {
    ThreadCpu thread;
    thread.cores = StatCpuSeconds((entry.path() / "stat").string(), &thread.name);
    if (thread.cores >= 0) threads[entry.path().filename().string()] = std::move(thread);
  }
  return threads;
}

// Busy (not idle, not I/O wait) CPU seconds of the whole machine, from /proc/stat; -1 if unreadable.
double MachineBusyCpuSeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return -1;
  return TicksToSeconds(user + nice + system + irq + softirq + steal);
}

// Rate over `seconds` between two readings, -1 if either is unknown.
double Rate(double before, double after, double seconds) {
  return before < 0 || after < 0 ? -1 : (after - before) / seconds;
}

std::vector<ThreadCpu> BusiestThreads(const std::map<std::string, ThreadCpu>& before,
                                      const std::map<std::string, ThreadCpu>& after, double seconds) {
  std::vector<ThreadCpu> threads;
  for (const auto& [tid, thread] : after) {
    auto earlier = before.find(tid);
    const double start = earlier == before.end() ? 0 : earlier->second.cores;
    threads.push_back({absl::StrCat(thread.name, "/", tid), (thread.cores - start) / seconds});
  }
  std::sort(threads.begin(), threads.end(), [](const ThreadCpu& a, const ThreadCpu& b) { return a.cores > b.cores; });
  if (threads.size() > kBusiestThreads) threads.resize(kBusiestThreads);
  return threads;
}

}  // namespace

double CpuUse::others() const {
  if (machine < 0 || load < 0) return -1;
  return std::max(0.0, machine - load - std::max(server, 0.0));
}

CpuUse MeasureCpuOverWindow(const MeasurementWindow& window, int server_pid) {
  const std::string server = absl::StrCat(server_pid);
  absl::SleepFor(window.begin() - absl::Now());
  const double load_before = ProcessCpuSeconds("self");
  const double server_before = server_pid > 0 ? ProcessCpuSeconds(server) : -1;
  const double machine_before = MachineBusyCpuSeconds();
  const std::map<std::string, ThreadCpu> threads_before =
      server_pid > 0 ? ThreadCpuSeconds(server_pid) : std::map<std::string, ThreadCpu>();

  absl::SleepFor(window.end() - absl::Now());
  const double seconds = absl::ToDoubleSeconds(window.duration());
  CpuUse use;
  use.cores = static_cast<int>(std::thread::hardware_concurrency());
  use.load = Rate(load_before, ProcessCpuSeconds("self"), seconds);
  use.machine = Rate(machine_before, MachineBusyCpuSeconds(), seconds);
  if (server_pid > 0) {
    use.server = Rate(server_before, ProcessCpuSeconds(server), seconds);
    use.busiest_server_threads = BusiestThreads(threads_before, ThreadCpuSeconds(server_pid), seconds);
  }
  return use;
}

}  // namespace pumptrack::bench
