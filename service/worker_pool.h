#ifndef PUMPTRACK_SERVICE_WORKER_POOL_H_
#define PUMPTRACK_SERVICE_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace pumptrack::service {

// A fixed set of threads running queued tasks in FIFO order: where request handlers send work that may block on disk
// (RocksDB reads), so gRPC's reactor threads never do.
class WorkerPool {
 public:
  // Starts `threads` workers; at most `capacity` tasks wait at once.
  WorkerPool(int threads, std::size_t capacity);
  // Runs every queued task, then joins the workers.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`. Returns false, without running it, when the queue is full or the pool is shutting down.
  bool TrySubmit(std::function<void()> task);

 private:
  void Run();

  const std::size_t capacity_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_WORKER_POOL_H_
