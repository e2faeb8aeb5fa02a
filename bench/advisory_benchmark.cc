// Advisories at fleet scale, in memory: the engine's fleet index (FleetIndex, with every device's advisory targets:
// its model and component models) holding N devices, then (1) compiling 150 advisories against the policy's product
// mapping, and (2) one new advisory: finding the devices of the models and components it names through the index
// (never the whole fleet) and matching each one's versions (rules::CompiledAdvisories::Evaluate, the code path of
// reports and re-evaluation). What it leaves out: reading each affected device from RocksDB and writing its finding
// (the cost of a re-evaluation per affected device, see docs/PERFORMANCE.md's findings section).
//
//   build/bench/pumptrack-advisory-benchmark --devices=1000000 --models=40 --advisories=150 --repeat=5

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "engine/active_policy.h"
#include "engine/fleet_index.h"
#include "pumptrack/v1/advisory.pb.h"
#include "rules/advisory_check.h"

ABSL_FLAG(int, devices, 1000000, "Devices in the fleet index.");
ABSL_FLAG(int, models, 40, "Pump models in the fleet (devices spread evenly); each has two component models.");
ABSL_FLAG(int, advisories, 150, "Advisories to compile (each names one pump model and one component model).");
ABSL_FLAG(int, repeat, 5, "Runs of the one-new-advisory step; each is printed.");

namespace pumptrack::bench {
namespace {

std::string Model(int m) { return absl::StrCat("MODEL-", m); }
std::string Wifi(int m) { return absl::StrCat("WLAN-", m); }
std::string Battery(int m) { return absl::StrCat("BAT-", m); }

// Advisory `i`: vendor "Vendor <i % models>" product "Pump <i % models>" (versions <= 2.<i>), and "Wi-Fi <i % models>"
// (versions <= 4.2.<i>), CVSS 8.1.
v1::Advisory MakeAdvisory(int i, int models) {
  const int m = i % models;
  v1::Advisory advisory;
  advisory.set_tracking_id(absl::StrFormat("ICSMA-90-%03d-01", i));
  advisory.set_version("1");
  advisory.set_title(absl::StrCat("Advisory ", i));
  auto add_product = [&](const std::string& id, const std::string& name, const std::string& bound) {
    v1::AdvisoryProduct* p = advisory.add_products();
    p->set_product_id(id);
    p->set_vendor(absl::StrCat("Vendor ", m));
    p->set_product_name(name);
    p->set_version_text(absl::StrCat("<=", bound));
    p->mutable_range()->set_syntax(v1::VERSION_RANGE_SYNTAX_OPERATOR_LIST);
    v1::VersionConstraint* c = p->mutable_range()->add_constraints();
    c->set_comparator(v1::VERSION_COMPARATOR_LESS_OR_EQUAL);
    c->set_version(bound);
  };
  add_product("CSAFPID-0001", absl::StrCat("Pump ", m), absl::StrCat("2.", i));
  add_product("CSAFPID-0002", absl::StrCat("Wi-Fi ", m), absl::StrCat("4.2.", i));
  v1::AdvisoryVulnerability* v = advisory.add_vulnerabilities();
  v->set_cve(absl::StrFormat("CVE-2026-%05d", i));
  v->mutable_product_status()->add_known_affected("CSAFPID-0001");
  v->mutable_product_status()->add_known_affected("CSAFPID-0002");
  v1::CvssV3Score* score = v->add_scores();
  score->set_base_score(8.1);
  score->add_product_ids("CSAFPID-0001");
  score->add_product_ids("CSAFPID-0002");
  return advisory;
}

int Main() {
  const int devices = absl::GetFlag(FLAGS_devices);
  const int models = absl::GetFlag(FLAGS_models);
  const int count = absl::GetFlag(FLAGS_advisories);
  v1::Policy policy;
  for (int m = 0; m < models; ++m) {
    policy.add_models()->set_model(Model(m));
    v1::AdvisoryProductMapping* pump = policy.add_advisory_products();
    pump->set_vendor(absl::StrCat("Vendor ", m));
    pump->set_product(absl::StrCat("Pump ", m));
    pump->set_model(Model(m));
    v1::AdvisoryProductMapping* wifi = policy.add_advisory_products();
    wifi->set_vendor(absl::StrCat("Vendor ", m));
    wifi->set_product(absl::StrCat("Wi-Fi ", m));
    wifi->set_component(Wifi(m));
  }

  engine::ActivePolicy active(nullptr);
  engine::FleetIndex index(&active, nullptr, absl::ZeroDuration());
  absl::Time start = absl::Now();
  for (int d = 0; d < devices; ++d) {
    const int m = d % models;
    engine::DeviceUpdate update;
    // The versions of the prototypes below: each model's devices share one profile.
    update.advisory_profile = rules::AdvisoryProfileOf(Model(m), "2.0", {{Wifi(m), "4.2.0"}, {Battery(m), "1.0"}});
    index.Load(absl::StrFormat("PT-%07d", d), update);
  }
  std::printf("fleet index: %d devices, %d models, loaded in %.2f s, %.1f MB\n", devices, models,
              absl::ToDoubleSeconds(absl::Now() - start), index.index_bytes() / 1e6);

  std::vector<v1::Advisory> advisories;
  for (int i = 0; i < count; ++i) advisories.push_back(MakeAdvisory(i, models));
  start = absl::Now();
  std::shared_ptr<const rules::CompiledAdvisories> compiled = rules::CompiledAdvisories::Compile(advisories, policy);
  std::printf("compile %d advisories against %d mappings: %.1f ms\n", count, policy.advisory_products_size(),
              absl::ToDoubleMilliseconds(absl::Now() - start));

  // A device as the engine holds it, per model (version 2.0 of the pump, 4.2.0 of the Wi-Fi module: affected).
  std::vector<v1::Device> prototypes;
  for (int m = 0; m < models; ++m) {
    v1::Device device;
    device.mutable_identity()->set_model(Model(m));
    device.mutable_last_observation()->set_firmware_version("2.0");
    v1::Component* wifi = device.mutable_last_observation()->add_components();
    wifi->set_kind("wifi-module");
    wifi->set_model(Wifi(m));
    wifi->set_firmware_version("4.2.0");
    v1::Component* battery = device.mutable_last_observation()->add_components();
    battery->set_kind("battery");
    battery->set_model(Battery(m));
    battery->set_software_version("1.0");
    prototypes.push_back(std::move(device));
  }

  for (int run = 0; run < absl::GetFlag(FLAGS_repeat); ++run) {
    std::vector<v1::Advisory> with_new = advisories;
    with_new.push_back(MakeAdvisory(count + run, models));
    const std::string id = with_new.back().tracking_id();
    start = absl::Now();
    std::shared_ptr<const rules::CompiledAdvisories> next = rules::CompiledAdvisories::Compile(with_new, policy);
    const absl::Duration compile = absl::Now() - start;
    const std::vector<std::string> targets = next->TargetsOfAdvisory(id);
    const std::vector<std::string> tags = index.DevicesWithTargets(targets);
    const absl::Duration found = absl::Now() - start;
    std::size_t violations = 0;
    for (std::size_t i = 0; i < tags.size(); ++i) {
      v1::Device& device = prototypes[std::stoi(tags[i].substr(3)) % models];
      device.mutable_identity()->set_asset_tag(tags[i]);
      for (const rules::Violation& v : next->Evaluate(device)) violations += v.rule == "advisory." + id ? 1 : 0;
    }
    const absl::Duration total = absl::Now() - start;
    std::printf(
        "run %d: one new advisory (%s, targets %zu) against %d devices: compile %.1f ms, %zu devices found in "
        "%.1f ms, matched in %.1f ms, %zu VULNERABLE; total %.3f s\n",
        run + 1, id.c_str(), targets.size(), devices, absl::ToDoubleMilliseconds(compile), tags.size(),
        absl::ToDoubleMilliseconds(found - compile), absl::ToDoubleMilliseconds(total - found), violations,
        absl::ToDoubleSeconds(total));
    // What an import answers with (AdvisoryRuntime::Import): each advisory profile of the named targets matched once.
    start = absl::Now();
    std::size_t matched = 0;
    const std::vector<std::pair<rules::AdvisoryProfile, std::size_t>> profiles = index.ProfilesWithTargets(targets);
    for (const auto& [profile, devices_with_it] : profiles) {
      if (!next->Evaluate(profile.AsDevice(), {id}).empty()) matched += devices_with_it;
    }
    std::printf("run %d: the same advisory matched by profile: %zu profiles, %zu devices affected, in %.3f ms\n",
                run + 1, profiles.size(), matched, absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  return 0;
}

}  // namespace
}  // namespace pumptrack::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return pumptrack::bench::Main();
}
