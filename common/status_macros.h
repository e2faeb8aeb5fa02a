#ifndef PUMPTRACK_COMMON_STATUS_MACROS_H_
#define PUMPTRACK_COMMON_STATUS_MACROS_H_

// Propagating absl::Status and absl::StatusOr without the hand-written `if (!s.ok()) return s;`.
//
//   RETURN_IF_ERROR(store.Stage(finding, batch));
//   ASSIGN_OR_RETURN(v1::Device device, devices.GetDevice(tag));
//   ASSIGN_OR_RETURN(auto page, devices.ListDevices(filter, after, limit));
//
// RETURN_IF_ERROR returns the status as it is from a function returning absl::Status or any absl::StatusOr<T>.
// ASSIGN_OR_RETURN declares (or assigns to) its left-hand side from the value, or returns the error. Both evaluate
// their argument exactly once.

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PUMPTRACK_STATUS_CONCAT_INNER(a, b) a##b
#define PUMPTRACK_STATUS_CONCAT(a, b) PUMPTRACK_STATUS_CONCAT_INNER(a, b)

// Each expansion names its status variable uniquely (__COUNTER__), so a RETURN_IF_ERROR inside a lambda inside
// another one's argument does not shadow it.
#define RETURN_IF_ERROR(expr) \
  PUMPTRACK_RETURN_IF_ERROR_IMPL(PUMPTRACK_STATUS_CONCAT(pumptrack_status_, __COUNTER__), expr)

#define PUMPTRACK_RETURN_IF_ERROR_IMPL(status, expr)                                            \
  do {                                                                                          \
    if (::absl::Status status = ::pumptrack::status_internal::ToStatus((expr)); !status.ok()) { \
      return status;                                                                            \
    }                                                                                           \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  PUMPTRACK_ASSIGN_OR_RETURN_IMPL(PUMPTRACK_STATUS_CONCAT(pumptrack_statusor_, __COUNTER__), lhs, expr)

#define PUMPTRACK_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = *std::move(statusor)

namespace pumptrack::status_internal {

inline const absl::Status& ToStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& ToStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace pumptrack::status_internal

#endif  // PUMPTRACK_COMMON_STATUS_MACROS_H_
