// Run in a PUMPTRACK_TSAN build only. A TSan report makes the process exit 66 when it ends, so each correct program
// below fails its ctest if TSan sees a race in it; the racy one is run in a child process that must be reported.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

extern char** environ;

namespace {

struct Queue {
  absl::Mutex mu;
  absl::CondVar ready;
  std::deque<std::vector<int>> items ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;
};

TEST(TsanAnnotationsTest, AProducerAndConsumersUnderAbslMutexDrawNoReport) {
  Queue queue;
  long awaited_sum = 0;
  long waited_sum = 0;
  // Waits with Await (the condition is evaluated by whichever thread unlocks).
  std::thread awaiting([&] {
    while (true) {
      std::vector<int> item;
      {
        absl::MutexLock lock(&queue.mu);
        queue.mu.Await(absl::Condition(
            +[](Queue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu) { return !q->items.empty() || q->closed; }, &queue));
        if (queue.items.empty()) break;
        item = std::move(queue.items.front());
        queue.items.pop_front();
      }
      for (int x : item) awaited_sum += x;
    }
  });
  // Waits with a CondVar and a timeout.
  std::thread waiting([&] {
    absl::MutexLock lock(&queue.mu);
    while (!queue.closed) {
      queue.ready.WaitWithTimeout(&queue.mu, absl::Milliseconds(1));
      if (!queue.items.empty()) {
        queue.items.front().push_back(0);
        waited_sum += static_cast<long>(queue.items.front().size());
      }
    }
  });
  for (int i = 0; i < 2000; ++i) {
    std::vector<int> item(4, 1);
    absl::MutexLock lock(&queue.mu);
    queue.items.push_back(std::move(item));
    queue.ready.Signal();
  }
  {
    absl::MutexLock lock(&queue.mu);
    queue.closed = true;
    queue.ready.SignalAll();
  }
  awaiting.join();
  waiting.join();
  EXPECT_EQ(awaited_sum, 2000 * 4);
  EXPECT_GE(waited_sum, 0);
}

TEST(TsanAnnotationsTest, DataPublishedBeforeNotifyIsSeenAfterTheWaitAndByHasBeenNotified) {
  std::vector<std::string> published;
  absl::Notification done;
  std::thread writer([&] {
    published.assign(100, "written before Notify");
    done.Notify();
  });
  std::thread polling([&] {
    while (!done.HasBeenNotified()) std::this_thread::yield();
    EXPECT_EQ(published.size(), 100u);
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(published.back(), "written before Notify");
  writer.join();
  polling.join();
}

TEST(TsanAnnotationsTest, ReaderLocksTryLockAndLockWhenDrawNoReport) {
  absl::Mutex mu;
  int value = 0;  // written under the writer lock, read under reader locks
  bool go = false;
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      mu.ReaderLockWhen(absl::Condition(&go));
      EXPECT_GE(value, 1);
      mu.ReaderUnlock();
      for (int i = 0; i < 200; ++i) {
        absl::ReaderMutexLock lock(&mu);
        EXPECT_GE(value, 1);
      }
    });
  }
  {
    absl::MutexLock lock(&mu);
    value = 1;
    go = true;
  }
  for (int i = 0; i < 200; ++i) {
    if (mu.TryLock()) {
      ++value;
      mu.Unlock();
    } else {
      absl::MutexLock lock(&mu);
      ++value;
    }
  }
  for (std::thread& reader : readers) reader.join();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(value, 201);
}

// Run only in the child process of the next test: one thread increments under a lock, the other without.
TEST(TsanAnnotationsTest, DISABLED_UnguardedCounter) {
  absl::Mutex mu;
  long counter = 0;
  std::thread locked([&] {
    for (int i = 0; i < 1000; ++i) {
      absl::MutexLock lock(&mu);
      ++counter;
    }
  });
  std::thread unlocked([&] {
    for (int i = 0; i < 1000; ++i) ++counter;
  });
  locked.join();
  unlocked.join();
  EXPECT_GT(counter, 0);
}

TEST(TsanAnnotationsTest, ARealRaceBesideAnAbslMutexIsStillReported) {
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  ASSERT_GT(length, 0);
  self[length] = '\0';
  const std::string output = testing::TempDir() + "/tsan_unguarded_counter.log";
  const std::string log_path = "log_path=" + output;
  std::string filter = "--gtest_filter=TsanAnnotationsTest.DISABLED_UnguardedCounter";
  std::string also_disabled = "--gtest_also_run_disabled_tests";
  char* argv[] = {self, filter.data(), also_disabled.data(), nullptr};
  // The child's reports go to a file (TSAN_OPTIONS log_path adds ".<pid>").
  std::vector<std::string> env_strings = {"TSAN_OPTIONS=" + log_path};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("TSAN_OPTIONS=", 0) != 0) env_strings.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  pid_t child = 0;
  ASSERT_EQ(posix_spawn(&child, self, nullptr, nullptr, argv, envp.data()), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 66) << "TSan's exit code for a reported race";
  const std::string report_path = output + "." + std::to_string(child);
  std::FILE* report = std::fopen(report_path.c_str(), "r");
  ASSERT_NE(report, nullptr) << report_path;
  std::string text;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof(buffer), report)) text.append(buffer, n);
  std::fclose(report);
  std::remove(report_path.c_str());
  EXPECT_NE(text.find("WARNING: ThreadSanitizer: data race"), std::string::npos) << text;
  EXPECT_NE(text.find("DISABLED_UnguardedCounter"), std::string::npos) << text;
}

}  // namespace
