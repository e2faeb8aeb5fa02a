#include "agents/clock.h"

namespace pumptrack::agents {
namespace {

class SystemClock final : public AgentClock {
 public:
  absl::Time Now() override { return absl::Now(); }
  void WaitUntil(absl::Time deadline, absl::Notification& stop) override {
    stop.WaitForNotificationWithDeadline(deadline);
  }
};

}  // namespace

AgentClock& SystemAgentClock() {
  static SystemClock* const clock = new SystemClock();
  return *clock;
}

}  // namespace pumptrack::agents
