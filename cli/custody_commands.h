// The CLI's custody commands (CustodyService): `custody checkout|checkin|quarantine|release|maintenance|retire|history|
// list` and `find-available`. Like the inventory commands (commands.h), each one calls the service through an injected
// stub and prints its result to an injected stream; on failure it returns the error (see FromRpcStatus: NOT_FOUND reads
// "device PT-00042 not found", FAILED_PRECONDITION "device PT-00042: <the service's reason>") and prints nothing.
// With --output=json each prints protobuf JSON: the CustodyResult of an action, a JSON array of CustodyEvent
// (history) or CheckedOutPump (list), the whole FindAvailableResponse (find-available).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/connection.h"
#include "pumptrack/v1/custody.grpc.pb.h"

namespace pumptrack::cli {

using CustodyContext = ServiceContext<v1::CustodyService>;

// `custody checkout`'s due time when --due is not given.
inline constexpr absl::Duration kDefaultCheckoutDue = absl::Hours(4);
// The due times the service accepts (custody.proto, CheckOutRequest.due_in).
inline constexpr absl::Duration kMinCheckoutDue = absl::Minutes(1);
inline constexpr absl::Duration kMaxCheckoutDue = absl::Hours(24 * 30);

// Quarantine, Release, SetMaintenance and Retire: a pump and an optional free-text reason (notes for Release).
struct CustodyChange {
  std::string asset_tag;
  std::string reason;
};

// `custody checkout`: one line naming the destination and the due time, or the CustodyResult as JSON.
absl::Status CheckOut(const CustodyContext& context, const v1::CheckOutRequest& request);

// `custody checkin`: whether the pump passed the re-verification gate (AVAILABLE) or was QUARANTINED, with every
// reason (see PrintCheckInOutcome), or the CustodyResult as JSON. A quarantine is a successful call: it returns OK.
absl::Status CheckIn(const CustodyContext& context, const v1::CheckInRequest& request);

// `custody quarantine`, `custody release` (reason sent as notes), `custody maintenance`: one line with the new state.
absl::Status Quarantine(const CustodyContext& context, const CustodyChange& change);
absl::Status Release(const CustodyContext& context, const CustodyChange& change);
absl::Status SetMaintenance(const CustodyContext& context, const CustodyChange& change);

// `custody retire`: the new state and that the credentials wipe was recorded (see PrintRetired).
absl::Status Retire(const CustodyContext& context, const CustodyChange& change);

// A pump's whole chain of custody, oldest first, following next_page_token to the last page. Fails with the first
// failed page's error, or INTERNAL if the server repeats a page token.
absl::StatusOr<std::vector<v1::CustodyEvent>> FetchCustodyHistory(v1::CustodyService::StubInterface& stub,
                                                                  const ConnectionOptions& connection,
                                                                  const std::string& asset_tag);

// `custody history`: a table of every event, oldest first, or a JSON array of CustodyEvent.
absl::Status ShowCustodyHistory(const CustodyContext& context, const std::string& asset_tag);

// `custody list`: open check-outs, soonest due first (only overdue ones with `overdue_only`).
absl::Status ListCustody(const CustodyContext& context, bool overdue_only);

// `find-available`: the nearest available pumps and the near unit's PAR level and available count; `count` 0 means
// the service's default (5).
absl::Status FindAvailable(const CustodyContext& context, const std::string& near_unit, int count);

}  // namespace pumptrack::cli
