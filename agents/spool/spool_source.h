// The `spool` adapter: a directory where a vendor gateway or an export job drops one JSON file per observation.
// The format and the atomic-rename convention are documented in docs/SPOOL.md.
#ifndef PUMPTRACK_AGENTS_SPOOL_SPOOL_SOURCE_H_
#define PUMPTRACK_AGENTS_SPOOL_SPOOL_SOURCE_H_

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agents/adapter.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::agents::spool {

struct SpoolOptions {
  // The spool directory; it and its done/ and rejected/ subdirectories are created when missing.
  std::string dir;
  // Most files taken per round (the oldest names first); the rest wait for the next round. At least 1.
  size_t max_files_per_round = 10'000;
};

// Whether the spool picks up a file of this name: not hidden (no leading '.'), not ending in ".tmp" — writers create
// files under such a name and rename them into place when complete.
bool IsCompleteSpoolFileName(std::string_view name);

// Parses one spool document: protobuf JSON of pumptrack.v1.Observation (unknown fields refused). Checks what the
// agent can check alone: identity.asset_tag and identity.serial_number present, observed_at present. A `sequence`
// in the document is ignored (the agent numbers observations). INVALID_ARGUMENT with one sentence saying why.
absl::StatusOr<pumptrack::v1::Observation> ParseSpoolDocument(std::string_view json);

// Each round reads the complete regular files directly in `dir`, in name order. A valid file's observation goes into
// the round and the file is moved to done/ once the agent has buffered the round (RoundBuffered OK); if buffering
// failed, the file stays and is read again next round. An invalid file is moved to rejected/ at once, next to a
// "<name>.reason" file holding one line saying why. A file already in done/ or rejected/ under the same name is
// replaced. Not thread-safe.
class SpoolSource final : public ObservationSource {
 public:
  // INVALID_ARGUMENT for bad options; the filesystem's error (as UNAVAILABLE) when the directories cannot be made.
  static absl::StatusOr<std::unique_ptr<SpoolSource>> Create(const SpoolOptions& options);

  std::string_view name() const override { return "spool"; }

  // UNAVAILABLE when the directory cannot be listed. A file that vanishes while being read is skipped.
  absl::StatusOr<std::vector<pumptrack::v1::Observation>> NextRound(absl::Time now) override;
  void RoundBuffered(const absl::Status& status) override;

  // Files moved to rejected/ so far.
  size_t rejected_files() const { return rejected_files_; }

 private:
  explicit SpoolSource(SpoolOptions options);
  void Reject(const std::filesystem::path& file, std::string_view reason);

  const SpoolOptions options_;
  const std::filesystem::path dir_;
  std::vector<std::filesystem::path> taken_;  // files of the last round, moved to done/ once buffered
  size_t rejected_files_ = 0;
};

}  // namespace pumptrack::agents::spool

#endif  // PUMPTRACK_AGENTS_SPOOL_SPOOL_SOURCE_H_
