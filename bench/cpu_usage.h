#ifndef PUMPTRACK_BENCH_CPU_USAGE_H_
#define PUMPTRACK_BENCH_CPU_USAGE_H_

#include <string>
#include <vector>

#include "bench/load_stats.h"

namespace pumptrack::bench {

// One thread's CPU use over the window.
struct ThreadCpu {
  std::string name;
  double cores = 0;
};

// CPU used during the measurement window, in cores (CPU seconds per second: 1.0 is one core kept busy); -1 when
// unknown. Read from /proc.
struct CpuUse {
  int cores = 0;                                  // on the machine
  double load = -1;                               // this process
  double server = -1;                             // the service's process, if its pid is known
  double machine = -1;                            // every process on the machine
  std::vector<ThreadCpu> busiest_server_threads;  // busiest first

  // What the rest of the machine used besides the load tool and the service.
  double others() const;
};

// Waits for the window to begin, samples, waits for it to end and samples again. `server_pid` 0 skips the server.
CpuUse MeasureCpuOverWindow(const MeasurementWindow& window, int server_pid);

}  // namespace pumptrack::bench

#endif  // PUMPTRACK_BENCH_CPU_USAGE_H_
