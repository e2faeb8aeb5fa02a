#include "rules/policy.h"

#include <openssl/evp.h>

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/time_util.h"
#include "rules/version.h"

namespace pumptrack::rules {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::string_view kSeparator = "\x1f";

std::string Sha256(absl::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) return "sha256:";
  return "sha256:" + absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

// Keeps the first syntax error the text-format parser reports.
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (error_.empty()) error_ = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

absl::Status Invalid(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("policy ", path, ": ", problem));
}

std::string Indexed(absl::string_view field, int index) { return absl::StrCat(field, "[", index, "]"); }

absl::Status CheckId(absl::string_view path, absl::string_view id) {
  if (ids::IsValidPolicyId(id)) return absl::OkStatus();
  return Invalid(path, absl::StrCat("\"", id, "\" ", ids::kAssetTagRule));
}

absl::Status CheckPositive(absl::string_view path, const google::protobuf::Duration& duration, bool set) {
  if (!set) return absl::OkStatus();
  if (duration.seconds() > TimeUtil::kDurationMaxSeconds || duration.seconds() < 0 ||
      (duration.seconds() == 0 && duration.nanos() <= 0)) {
    return Invalid(path, "must be a positive duration");
  }
  return absl::OkStatus();
}

absl::Status CheckVersion(absl::string_view path, absl::string_view version, bool required) {
  if (version.empty() && !required) return absl::OkStatus();
  if (IsDottedVersion(version)) return absl::OkStatus();
  return Invalid(path, absl::StrCat("\"", version, "\" is not a dotted version such as 12.1.3"));
}

absl::Duration ToDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompiledPolicy::FromText(absl::string_view text) {
  if (text.size() > kMaxPolicyTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy text is ", text.size(), " bytes; at most ", kMaxPolicyTextBytes, " are accepted"));
  }
  v1::Policy policy;
  FirstError errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &policy)) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy text: ", errors.error().empty() ? "does not parse" : errors.error()));
  }
  return Compile(std::move(policy), std::string(text));
}

absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompiledPolicy::FromProto(v1::Policy policy) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(policy, &text);
  return Compile(std::move(policy), std::move(text));
}

std::shared_ptr<const CompiledPolicy> CompiledPolicy::Empty() {
  static const std::shared_ptr<const CompiledPolicy> empty = *FromProto(v1::Policy());
  return empty;
}

absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompiledPolicy::Compile(v1::Policy policy, std::string text) {
  std::shared_ptr<CompiledPolicy> compiled(new CompiledPolicy());
  compiled->policy_ = std::move(policy);
  compiled->digest_ = Sha256(text);
  compiled->text_ = std::move(text);
  const v1::Policy& p = compiled->policy_;

  if (p.revision().size() > 128) return Invalid("revision", "at most 128 characters");
  absl::flat_hash_set<std::string> facilities;
  for (int i = 0; i < p.site().facilities_size(); ++i) {
    const std::string path = Indexed("site.facilities", i);
    const v1::Facility& facility = p.site().facilities(i);
    RETURN_IF_ERROR(CheckId(path + ".id", facility.id()));
    if (!facilities.insert(facility.id()).second) return Invalid(path + ".id", "duplicate facility id");
  }
  absl::flat_hash_set<std::string> buildings;
  for (int i = 0; i < p.site().buildings_size(); ++i) {
    const std::string path = Indexed("site.buildings", i);
    const v1::Building& building = p.site().buildings(i);
    RETURN_IF_ERROR(CheckId(path + ".id", building.id()));
    if (!facilities.contains(building.facility())) {
      return Invalid(path + ".facility", absl::StrCat("unknown facility \"", building.facility(), "\""));
    }
    if (!buildings.insert(absl::StrCat(building.facility(), kSeparator, building.id())).second) {
      return Invalid(path + ".id", "duplicate building id in its facility");
    }
  }
  for (int i = 0; i < p.site().units_size(); ++i) {
    const std::string path = Indexed("site.units", i);
    const v1::Unit& unit = p.site().units(i);
    RETURN_IF_ERROR(CheckId(path + ".id", unit.id()));
    if (!facilities.contains(unit.facility())) {
      return Invalid(path + ".facility", absl::StrCat("unknown facility \"", unit.facility(), "\""));
    }
    if (!unit.building().empty() && !buildings.contains(absl::StrCat(unit.facility(), kSeparator, unit.building()))) {
      return Invalid(path + ".building",
                     absl::StrCat("unknown building \"", unit.building(), "\" in facility \"", unit.facility(), "\""));
    }
    const std::string key = absl::StrCat(unit.facility(), kSeparator, unit.id());
    if (!compiled->units_.emplace(key, &unit).second) return Invalid(path + ".id", "duplicate unit id in its facility");
    compiled->units_by_id_.try_emplace(unit.id(), &unit);
    for (int r = 0; r < unit.exit_zones_size(); ++r) {
      if (absl::Status s = CheckId(absl::StrCat(path, ".", Indexed("exit_zones", r)), unit.exit_zones(r)); !s.ok()) {
        return s;
      }
      compiled->exit_zones_.insert(absl::StrCat(key, kSeparator, unit.exit_zones(r)));
    }
    for (int t = 0; t < unit.home_asset_tags_size(); ++t) {
      const std::string tag_path = absl::StrCat(path, ".", Indexed("home_asset_tags", t));
      RETURN_IF_ERROR(CheckId(tag_path, unit.home_asset_tags(t)));
      if (!compiled->assigned_homes_.emplace(unit.home_asset_tags(t), &unit).second) {
        return Invalid(tag_path, absl::StrCat("\"", unit.home_asset_tags(t), "\" is homed in two units"));
      }
    }
  }
  absl::flat_hash_set<std::string> component_models;
  for (int i = 0; i < p.components_size(); ++i) {
    const std::string path = Indexed("components", i);
    const v1::ComponentPolicy& component = p.components(i);
    if (component.kind().empty() || component.kind().size() > 64)
      return Invalid(path + ".kind", "must be 1-64 characters");
    if (component.model().empty() || component.model().size() > 64) {
      return Invalid(path + ".model", "must be 1-64 characters");
    }
    if (!component_models.insert(absl::StrCat(component.kind(), kSeparator, component.model())).second) {
      return Invalid(path + ".model", "duplicate kind and model");
    }
    for (const auto& [name, versions] :
         {std::pair{"firmware", &component.firmware()}, std::pair{"software", &component.software()}}) {
      const std::string vpath = absl::StrCat(path, ".", name);
      for (int j = 0; j < versions->allowed_size(); ++j) {
        if (absl::Status s = CheckVersion(absl::StrCat(vpath, ".", Indexed("allowed", j)), versions->allowed(j), true);
            !s.ok()) {
          return s;
        }
      }
      if (absl::Status s = CheckVersion(vpath + ".minimum", versions->minimum(), false); !s.ok()) return s;
      for (int j = 0; j < versions->blocked_size(); ++j) {
        if (absl::Status s = CheckVersion(absl::StrCat(vpath, ".", Indexed("blocked", j)), versions->blocked(j), true);
            !s.ok()) {
          return s;
        }
      }
    }
  }
  for (int i = 0; i < p.models_size(); ++i) {
    const std::string path = Indexed("models", i);
    const v1::ModelPolicy& model = p.models(i);
    if (model.model().empty() || model.model().size() > 64) return Invalid(path + ".model", "must be 1-64 characters");
    if (!compiled->models_.emplace(model.model(), &model).second) return Invalid(path + ".model", "duplicate model");
    for (int j = 0; j < model.firmware().allowed_size(); ++j) {
      if (absl::Status s =
              CheckVersion(absl::StrCat(path, ".firmware.", Indexed("allowed", j)), model.firmware().allowed(j), true);
          !s.ok()) {
        return s;
      }
    }
    RETURN_IF_ERROR(CheckVersion(path + ".firmware.minimum", model.firmware().minimum(), false));
    for (int j = 0; j < model.firmware().blocked_size(); ++j) {
      if (absl::Status s =
              CheckVersion(absl::StrCat(path, ".firmware.", Indexed("blocked", j)), model.firmware().blocked(j), true);
          !s.ok()) {
        return s;
      }
    }
    for (int j = 0; j < model.vulnerable_firmware_size(); ++j) {
      const std::string vpath = absl::StrCat(path, ".", Indexed("vulnerable_firmware", j));
      const v1::VulnerableFirmware& range = model.vulnerable_firmware(j);
      if (range.advisory().empty()) return Invalid(vpath + ".advisory", "required");
      if (range.introduced().empty() && range.fixed().empty()) {
        return Invalid(vpath, "needs introduced, fixed or both");
      }
      RETURN_IF_ERROR(CheckVersion(vpath + ".introduced", range.introduced(), false));
      RETURN_IF_ERROR(CheckVersion(vpath + ".fixed", range.fixed(), false));
      if (range.severity() == v1::SEVERITY_UNSPECIFIED) return Invalid(vpath + ".severity", "required");
    }
    absl::flat_hash_set<std::string> care_areas;
    for (int j = 0; j < model.drug_libraries_size(); ++j) {
      const std::string lpath = absl::StrCat(path, ".", Indexed("drug_libraries", j));
      const v1::DrugLibraryExpectation& library = model.drug_libraries(j);
      if (library.care_area().empty()) return Invalid(lpath + ".care_area", "required");
      if (!care_areas.insert(library.care_area()).second) {
        return Invalid(lpath + ".care_area", "duplicate care area for this model");
      }
      if (library.name().empty()) return Invalid(lpath + ".name", "required");
      if (absl::Status s = CheckPositive(lpath + ".max_age", library.max_age(), library.has_max_age()); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s =
            CheckPositive(path + ".credential_rotation", model.credential_rotation(), model.has_credential_rotation());
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckPositive(path + ".max_clock_drift", model.max_clock_drift(), model.has_max_clock_drift());
        !s.ok()) {
      return s;
    }
    RETURN_IF_ERROR(CheckPositive(path + ".pm_interval", model.pm_interval(), model.has_pm_interval()));
    RETURN_IF_ERROR(CheckPositive(path + ".pm_warning", model.pm_warning(), model.has_pm_warning()));
    if (model.pm_interval_months() > 120) return Invalid(path + ".pm_interval_months", "must be 1-120");
    if (model.minimum_battery_health_percent() > 100) {
      return Invalid(path + ".minimum_battery_health_percent", "must be 1-100 (0 = not checked)");
    }
  }
  for (int i = 0; i < p.components_size(); ++i) {
    const std::string path = Indexed("components", i);
    RETURN_IF_ERROR(
        CheckPositive(path + ".pm_interval", p.components(i).pm_interval(), p.components(i).has_pm_interval()));
    RETURN_IF_ERROR(
        CheckPositive(path + ".pm_warning", p.components(i).pm_warning(), p.components(i).has_pm_warning()));
    if (p.components(i).pm_interval_months() > 120) return Invalid(path + ".pm_interval_months", "must be 1-120");
  }
  if (p.transport_minimum_battery_percent() > 100) {
    return Invalid("transport_minimum_battery_percent", "must be 1-100 (0 = not checked)");
  }
  if (!p.time_zone().empty()) {
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(p.time_zone(), &zone)) {
      return Invalid("time_zone", absl::StrCat("\"", p.time_zone(), "\" is not a known IANA time zone"));
    }
    compiled->time_zone_ = zone;
  }
  if (absl::Status s =
          CheckPositive("missing.default_after", p.missing().default_after(), p.missing().has_default_after());
      !s.ok()) {
    return s;
  }
  if (p.missing().has_default_after()) compiled->default_missing_after_ = ToDuration(p.missing().default_after());
  for (int i = 0; i < p.missing().thresholds_size(); ++i) {
    const std::string path = Indexed("missing.thresholds", i);
    const v1::MissingThreshold& threshold = p.missing().thresholds(i);
    if (threshold.operating_state() == v1::OPERATING_STATE_UNSPECIFIED) {
      return Invalid(path + ".operating_state", "required");
    }
    RETURN_IF_ERROR(CheckPositive(path + ".after", threshold.after(), true));
    if (!compiled->missing_after_.emplace(threshold.operating_state(), ToDuration(threshold.after())).second) {
      return Invalid(path + ".operating_state", "duplicate threshold for this operating state");
    }
  }
  absl::flat_hash_set<std::string> mappings;
  for (int i = 0; i < p.advisory_products_size(); ++i) {
    const std::string path = Indexed("advisory_products", i);
    const v1::AdvisoryProductMapping& mapping = p.advisory_products(i);
    if (mapping.vendor().empty() || mapping.vendor().size() > 128) {
      return Invalid(path + ".vendor", "must be 1-128 characters");
    }
    if (mapping.product().empty() || mapping.product().size() > 128) {
      return Invalid(path + ".product", "must be 1-128 characters");
    }
    switch (mapping.target_case()) {
      case v1::AdvisoryProductMapping::kModel:
        if (compiled->FindModel(mapping.model()) == nullptr) {
          return Invalid(path + ".model", absl::StrCat("\"", mapping.model(), "\" is not one of the policy's models"));
        }
        break;
      case v1::AdvisoryProductMapping::kComponent:
        if (mapping.component().empty() || mapping.component().size() > 64) {
          return Invalid(path + ".component", "must be 1-64 characters");
        }
        break;
      case v1::AdvisoryProductMapping::TARGET_NOT_SET:
        return Invalid(path, "needs a model or a component");
    }
    if (!mappings
             .insert(absl::StrCat(absl::AsciiStrToLower(mapping.vendor()), kSeparator,
                                  absl::AsciiStrToLower(mapping.product()), kSeparator, mapping.target_case(),
                                  kSeparator, mapping.model(), mapping.component()))
             .second) {
      return Invalid(path, "duplicate mapping");
    }
  }
  return std::shared_ptr<const CompiledPolicy>(std::move(compiled));
}

const v1::Unit* CompiledPolicy::FindUnit(absl::string_view facility, absl::string_view unit) const {
  auto it = units_.find(absl::StrCat(facility, kSeparator, unit));
  return it == units_.end() ? nullptr : it->second;
}

const v1::Unit* CompiledPolicy::FindUnitAnywhere(absl::string_view unit) const {
  auto it = units_by_id_.find(unit);
  return it == units_by_id_.end() ? nullptr : it->second;
}

bool CompiledPolicy::IsExitZone(absl::string_view facility, absl::string_view unit, absl::string_view room) const {
  if (room.empty() || exit_zones_.empty()) return false;
  return exit_zones_.contains(absl::StrCat(facility, kSeparator, unit, kSeparator, room));
}

const v1::Unit* CompiledPolicy::AssignedHome(absl::string_view asset_tag) const {
  auto it = assigned_homes_.find(asset_tag);
  return it == assigned_homes_.end() ? nullptr : it->second;
}

const v1::ModelPolicy* CompiledPolicy::FindModel(absl::string_view model) const {
  auto it = models_.find(model);
  return it == models_.end() ? nullptr : it->second;
}

absl::Duration CompiledPolicy::MissingAfter(v1::OperatingState state, absl::Duration override) const {
  if (override > absl::ZeroDuration()) return override;
  auto it = missing_after_.find(state);
  return it != missing_after_.end() ? it->second : default_missing_after_;
}

}  // namespace pumptrack::rules
