#ifndef PUMPTRACK_SERVICE_OFFLINE_ADMIN_H_
#define PUMPTRACK_SERVICE_OFFLINE_ADMIN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/token_store.h"

namespace pumptrack::service {

// Creates a token directly in a data directory whose daemon is stopped: how an operator makes the first admin
// token. Audited with actor "operator". UNAVAILABLE when the directory is in use by a running pumptrackd.
absl::StatusOr<storage::CreatedToken> CreateTokenOffline(const std::string& data_dir, absl::string_view name,
                                                         absl::string_view role, absl::Duration ttl);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_OFFLINE_ADMIN_H_
