#include "agents/sim/faults.h"

#include <cmath>

namespace pumptrack::agents::sim {

int64_t FaultPartsPerMillion(double fraction) { return static_cast<int64_t>(std::llround(fraction * 1'000'000.0)); }

Fault FaultOf(int64_t index, double fraction) {
  const int64_t ppm = FaultPartsPerMillion(fraction);
  if (index < 1 || ppm <= 0) return Fault::kNone;
  const int64_t k = index * ppm / 1'000'000;
  if (k == (index - 1) * ppm / 1'000'000) return Fault::kNone;
  return static_cast<Fault>((k - 1) % kFaultKinds + 1);
}

bool HasWornBattery(int64_t index, double fraction) {
  const int64_t ppm = FaultPartsPerMillion(fraction);
  if (index < 1 || ppm <= 0) return false;
  constexpr int64_t kHalf = 500'000;
  return (index * ppm + kHalf) / 1'000'000 > ((index - 1) * ppm + kHalf) / 1'000'000;
}

std::string_view FaultName(Fault fault) {
  switch (fault) {
    case Fault::kNone:
      return "none";
    case Fault::kFirmwareNotAllowed:
      return "firmware_not_allowed";
    case Fault::kStaleDrugLibrary:
      return "stale_drug_library";
    case Fault::kDefaultCredentials:
      return "default_credentials";
    case Fault::kTelnetOpen:
      return "telnet_open";
    case Fault::kBrokenSeal:
      return "broken_seal";
    case Fault::kLeftHomeUnit:
      return "left_home_unit";
    case Fault::kInExitZone:
      return "in_exit_zone";
    case Fault::kSilent:
      return "silent";
  }
  return "none";
}

}  // namespace pumptrack::agents::sim
