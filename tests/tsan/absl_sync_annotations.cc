// ThreadSanitizer annotations for Debian's Abseil, linked into every program of a PUMPTRACK_TSAN build.
//
// Debian's libabsl_synchronization is not built with -fsanitize=thread, so its lock and unlock code carries none of
// the __tsan_mutex_* annotations Abseil has for TSan builds: TSan cannot see that absl::Mutex orders anything, and
// every access guarded by one is reported as a race. This file defines absl::Mutex's, absl::CondVar's and
// absl::Notification's out-of-line entry points in the program itself. A program's definitions take precedence
// over the shared library's (ELF symbol interposition; the library is not linked -Bsymbolic, so its own internal
// calls, e.g. Notification's, come here too). Each definition calls the library's function (found with
// dlsym(RTLD_NEXT)) between the annotations Abseil's TSan build makes:
//   - lock: pre_lock (accesses inside are ignored) ... post_lock (acquire);
//   - unlock: pre_unlock (release, ignore inside, including conditions the unlocker evaluates for waiters) ...
//     post_unlock;
//   - waits that release and re-take the lock (Await*, CondVar::Wait*, LockWhen* on a false condition): an unlock
//     before and a lock after;
//   - Notification: Notify releases, a wait that saw the notification acquires.
// A symbol missing from the library (another Abseil release) aborts at the first call, naming it.
#if !defined(__has_feature) || !__has_feature(thread_sanitizer)
#error "tests/tsan/absl_sync_annotations.cc is only for -fsanitize=thread builds (PUMPTRACK_TSAN)"
#endif

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

template <typename Fn>
Fn Real(const char* mangled) {
  void* symbol = dlsym(RTLD_NEXT, mangled);
  if (symbol == nullptr) {
    std::fprintf(stderr, "absl_sync_annotations: %s is not in the loaded Abseil\n", mangled);
    std::abort();
  }
  return reinterpret_cast<Fn>(symbol);
}

// Itanium C++ ABI names of the library's functions (Debian's Abseil 20220623 uses inline namespace debian3):
// "_ZN" (or "_ZNK" for a const member) + the nested name + "E" + the parameters.
#define MEMBER(nested) "_ZN4absl7debian3" nested
#define CONST_MEMBER(nested) "_ZNK4absl7debian3" nested
#define MUTEX "5Mutex"
#define CONDVAR "7CondVar"
#define NOTIFICATION "12Notification"
#define CONDITION "RKNS0_9ConditionE"
#define DURATION "NS0_8DurationE"
#define TIME "NS0_4TimeE"

// The library's functions call each other (AwaitWithTimeout calls AwaitWithDeadline, WaitForNotification calls
// LockWhen and Unlock), and those calls come here too: only the outermost call on a thread is annotated.
thread_local int calls_in_progress = 0;

class OutermostCall {
 public:
  OutermostCall() : outermost_(calls_in_progress++ == 0) {}
  ~OutermostCall() { --calls_in_progress; }
  OutermostCall(const OutermostCall&) = delete;
  OutermostCall& operator=(const OutermostCall&) = delete;
  bool outermost() const { return outermost_; }

 private:
  const bool outermost_;
};

// The lock is held before and after the call, released and taken again inside.
template <typename Call>
auto Relocking(absl::Mutex* mu, unsigned flags, Call call) {
  OutermostCall guard;
  if (!guard.outermost()) return call();
  __tsan_mutex_pre_unlock(mu, flags);
  auto result = call();
  __tsan_mutex_post_unlock(mu, flags);
  __tsan_mutex_pre_lock(mu, flags);
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

// Takes the lock (always: LockWhen* return with it held even when they time out).
template <typename Call>
auto Locking(absl::Mutex* mu, unsigned flags, Call call) {
  OutermostCall guard;
  if (!guard.outermost()) return call();
  __tsan_mutex_pre_lock(mu, flags);
  auto result = call();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

// Releases the lock.
template <typename Call>
void Unlocking(absl::Mutex* mu, unsigned flags, Call call) {
  OutermostCall guard;
  if (!guard.outermost()) return call();
  __tsan_mutex_pre_unlock(mu, flags);
  call();
  __tsan_mutex_post_unlock(mu, flags);
}

// Tries to take the lock.
template <typename Call>
bool TryLocking(absl::Mutex* mu, unsigned flags, Call call) {
  OutermostCall guard;
  if (!guard.outermost()) return call();
  __tsan_mutex_pre_lock(mu, flags | __tsan_mutex_try_lock);
  const bool locked = call();
  __tsan_mutex_post_lock(mu, flags | __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  return locked;
}

constexpr unsigned kRead = __tsan_mutex_read_lock;

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  static const auto real = Real<void (*)(Mutex*)>(MEMBER(MUTEX "D2Ev"));
  __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  real(this);
}

void Mutex::Lock() {
  static const auto real = Real<void (*)(Mutex*)>(MEMBER(MUTEX "4LockEv"));
  Locking(this, 0, [&] { return (real(this), 0); });
}

void Mutex::ReaderLock() {
  static const auto real = Real<void (*)(Mutex*)>(MEMBER(MUTEX "10ReaderLockEv"));
  Locking(this, kRead, [&] { return (real(this), 0); });
}

void Mutex::Unlock() {
  static const auto real = Real<void (*)(Mutex*)>(MEMBER(MUTEX "6UnlockEv"));
  Unlocking(this, 0, [&] { real(this); });
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<void (*)(Mutex*)>(MEMBER(MUTEX "12ReaderUnlockEv"));
  Unlocking(this, kRead, [&] { real(this); });
}

bool Mutex::TryLock() {
  static const auto real = Real<bool (*)(Mutex*)>(MEMBER(MUTEX "7TryLockEv"));
  return TryLocking(this, 0, [&] { return real(this); });
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<bool (*)(Mutex*)>(MEMBER(MUTEX "13ReaderTryLockEv"));
  return TryLocking(this, kRead, [&] { return real(this); });
}

void Mutex::LockWhen(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(MEMBER(MUTEX "8LockWhenE" CONDITION));
  Locking(this, 0, [&] { return (real(this, cond), 0); });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(MEMBER(MUTEX "14ReaderLockWhenE" CONDITION));
  Locking(this, kRead, [&] { return (real(this, cond), 0); });
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real =
      Real<bool (*)(Mutex*, const Condition&, Duration)>(MEMBER(MUTEX "19LockWhenWithTimeoutE" CONDITION DURATION));
  return Locking(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      MEMBER(MUTEX "25ReaderLockWhenWithTimeoutE" CONDITION DURATION));
  return Locking(this, kRead, [&] { return real(this, cond, timeout); });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real =
      Real<bool (*)(Mutex*, const Condition&, Time)>(MEMBER(MUTEX "20LockWhenWithDeadlineE" CONDITION TIME));
  return Locking(this, 0, [&] { return real(this, cond, deadline); });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real =
      Real<bool (*)(Mutex*, const Condition&, Time)>(MEMBER(MUTEX "26ReaderLockWhenWithDeadlineE" CONDITION TIME));
  return Locking(this, kRead, [&] { return real(this, cond, deadline); });
}

void Mutex::Await(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(MEMBER(MUTEX "5AwaitE" CONDITION));
  Relocking(this, 0, [&] { return (real(this, cond), 0); });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real =
      Real<bool (*)(Mutex*, const Condition&, Duration)>(MEMBER(MUTEX "16AwaitWithTimeoutE" CONDITION DURATION));
  return Relocking(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static const auto real =
      Real<bool (*)(Mutex*, const Condition&, Time)>(MEMBER(MUTEX "17AwaitWithDeadlineE" CONDITION TIME));
  return Relocking(this, 0, [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  static const auto real = Real<void (*)(CondVar*, Mutex*)>(MEMBER(CONDVAR "4WaitEPNS0_5MutexE"));
  Relocking(mu, 0, [&] { return (real(this, mu), 0); });
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static const auto real =
      Real<bool (*)(CondVar*, Mutex*, Duration)>(MEMBER(CONDVAR "15WaitWithTimeoutEPNS0_5MutexE" DURATION));
  return Relocking(mu, 0, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static const auto real =
      Real<bool (*)(CondVar*, Mutex*, Time)>(MEMBER(CONDVAR "16WaitWithDeadlineEPNS0_5MutexE" TIME));
  return Relocking(mu, 0, [&] { return real(this, mu, deadline); });
}

// Notification's flag is read without the lock (HasBeenNotified, inline in the header, and the library's fast
// path), so Notify publishes to it as well as to the object.
void Notification::Notify() {
  static const auto real = Real<void (*)(Notification*)>(MEMBER(NOTIFICATION "6NotifyEv"));
  __tsan_release(this);
  __tsan_release(&notified_yet_);
  real(this);
}

void Notification::WaitForNotification() const {
  static const auto real = Real<void (*)(const Notification*)>(CONST_MEMBER(NOTIFICATION "19WaitForNotificationEv"));
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static const auto real = Real<bool (*)(const Notification*, Duration)>(
      CONST_MEMBER(NOTIFICATION "30WaitForNotificationWithTimeoutE" DURATION));
  const bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static const auto real =
      Real<bool (*)(const Notification*, Time)>(CONST_MEMBER(NOTIFICATION "31WaitForNotificationWithDeadlineE" TIME));
  const bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
