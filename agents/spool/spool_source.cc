#include "agents/spool/spool_source.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "spdlog/spdlog.h"

namespace pumptrack::agents::spool {
namespace {

namespace fs = std::filesystem;
using pumptrack::v1::Observation;

constexpr std::string_view kDone = "done";
constexpr std::string_view kRejected = "rejected";

absl::Status FromError(const std::error_code& error, std::string_view what) {
  return absl::UnavailableError(absl::StrFormat("%s: %s", std::string(what), error.message()));
}

}  // namespace

bool IsCompleteSpoolFileName(std::string_view name) {
  return !name.empty() && name.front() != '.' && !absl::EndsWith(absl::string_view(name.data(), name.size()), ".tmp");
}

absl::StatusOr<Observation> ParseSpoolDocument(std::string_view json) {
  Observation observation;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  // protobuf 3.21 has its own Status and StringPiece types.
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &observation, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("not a pumptrack.v1.Observation in protobuf JSON: %s",
                                                      std::string(parsed.message().data(), parsed.message().size())));
  }
  if (observation.identity().asset_tag().empty()) {
    return absl::InvalidArgumentError("identity.assetTag is missing");
  }
  if (observation.identity().serial_number().empty()) {
    return absl::InvalidArgumentError("identity.serialNumber is missing");
  }
  if (!observation.has_observed_at()) return absl::InvalidArgumentError("observedAt is missing");
  observation.set_sequence(0);
  return observation;
}

absl::StatusOr<std::unique_ptr<SpoolSource>> SpoolSource::Create(const SpoolOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("the spool adapter needs a directory (--spool_dir)");
  if (options.max_files_per_round < 1) return absl::InvalidArgumentError("spool max files per round must be >= 1");
  std::error_code error;
  for (const fs::path& dir : {fs::path(options.dir) / kDone, fs::path(options.dir) / kRejected}) {
    fs::create_directories(dir, error);
    if (error) return FromError(error, absl::StrFormat("create %s", dir.string()));
  }
  return std::unique_ptr<SpoolSource>(new SpoolSource(options));
}

SpoolSource::SpoolSource(SpoolOptions options) : options_(std::move(options)), dir_(options_.dir) {}

absl::StatusOr<std::vector<Observation>> SpoolSource::NextRound(absl::Time /*now*/) {
  taken_.clear();
  std::vector<fs::path> files;
  std::error_code error;
  fs::directory_iterator it(dir_, error);
  if (error) return FromError(error, absl::StrFormat("list %s", dir_.string()));
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) return FromError(error, absl::StrFormat("list %s", dir_.string()));
    std::error_code type_error;
    if (!it->is_regular_file(type_error)) continue;
    if (!IsCompleteSpoolFileName(it->path().filename().string())) continue;
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > options_.max_files_per_round) files.resize(options_.max_files_per_round);

  std::vector<Observation> round;
  round.reserve(files.size());
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) continue;  // taken away meanwhile
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) continue;
    absl::StatusOr<Observation> observation = ParseSpoolDocument(json);
    if (!observation.ok()) {
      Reject(file, std::string(observation.status().message()));
      continue;
    }
    round.push_back(*std::move(observation));
    taken_.push_back(file);
  }
  return round;
}

void SpoolSource::RoundBuffered(const absl::Status& status) {
  if (!status.ok()) {
    taken_.clear();  // read again next round
    return;
  }
  for (const fs::path& file : taken_) {
    std::error_code error;
    fs::rename(file, dir_ / kDone / file.filename(), error);
    if (error) spdlog::error("spool: cannot move {} to done/: {}", file.string(), error.message());
  }
  taken_.clear();
}

void SpoolSource::Reject(const fs::path& file, std::string_view reason) {
  ++rejected_files_;
  const fs::path target = dir_ / kRejected / file.filename();
  {
    std::ofstream out(target.string() + ".reason", std::ios::trunc);
    out << reason << "\n";
  }
  std::error_code error;
  fs::rename(file, target, error);
  if (error) {
    spdlog::error("spool: cannot move {} to rejected/: {}", file.string(), error.message());
    return;
  }
  spdlog::warn("spool: rejected {}: {}", file.filename().string(), std::string(reason));
}

}  // namespace pumptrack::agents::spool
