#include "agents/sim/hospital.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"

namespace pumptrack::agents::sim {
namespace {

using pumptrack::v1::ServiceKind;
using pumptrack::v1::WifiSecurity;

constexpr Building kBuildings[] = {
    {"north", "North Tower"},
    {"south", "South Pavilion"},
};

constexpr std::string_view kErRooms[] = {"er-101", "er-102", "er-103", "er-104", "er-105", "er-106"};
constexpr std::string_view kIcu1Rooms[] = {"icu-1-101", "icu-1-102", "icu-1-103",
                                           "icu-1-104", "icu-1-105", "icu-1-106"};
constexpr std::string_view kPeriop2Rooms[] = {"periop-2-201", "periop-2-202", "periop-2-203",
                                              "periop-2-204", "periop-2-205", "periop-2-206"};
constexpr std::string_view kPeds3Rooms[] = {"peds-3-301", "peds-3-302", "peds-3-303",
                                            "peds-3-304", "peds-3-305", "peds-3-306"};
constexpr std::string_view kNicu3Rooms[] = {"nicu-3-321", "nicu-3-322", "nicu-3-323", "nicu-3-324"};
constexpr std::string_view kOnc4Rooms[] = {"onc-4-401", "onc-4-402", "onc-4-403",
                                           "onc-4-404", "onc-4-405", "onc-4-406"};
constexpr std::string_view k5WestRooms[] = {"5-west-501", "5-west-502", "5-west-503", "5-west-504",
                                            "5-west-505", "5-west-506", "5-west-507", "5-west-508"};
constexpr std::string_view k5EastRooms[] = {"5-east-521", "5-east-522", "5-east-523", "5-east-524",
                                            "5-east-525", "5-east-526", "5-east-527", "5-east-528"};
constexpr std::string_view kBiomedRooms[] = {"biomed-101", "biomed-102", "biomed-103"};
constexpr std::string_view kBiomedExitZones[] = {"dock-exit"};

// id, name, building, floor, care area, home weight, rooms, exit zones.
constexpr Unit kUnits[] = {
    {"er", "Emergency Department", "south", "1", "emergency", 2, kErRooms, {}},
    {"icu-1", "Adult Intensive Care Unit 1", "north", "1", "adult-icu", 4, kIcu1Rooms, {}},
    {"periop-2", "Perioperative Services", "north", "2", "perioperative", 2, kPeriop2Rooms, {}},
    {"peds-3", "Pediatrics", "south", "3", "pediatrics", 2, kPeds3Rooms, {}},
    {"nicu-3", "Neonatal Intensive Care Unit", "south", "3", "neonatal-icu", 1, kNicu3Rooms, {}},
    {"onc-4", "Oncology", "south", "4", "oncology", 3, kOnc4Rooms, {}},
    {"5-west", "5 West Medical-Surgical", "north", "5", "med-surg", 3, k5WestRooms, {}},
    {"5-east", "5 East Medical-Surgical", "north", "5", "med-surg", 3, k5EastRooms, {}},
    {"biomed", "Clinical Engineering (Biomed) Storage", "south", "1", "storage", 0, kBiomedRooms, kBiomedExitZones},
};

constexpr DrugLibraryRelease kDrugLibraries[] = {
    {"adult-icu", "adult-icu", "2026.11.2", absl::CivilDay(2026, 11, 18)},
    {"emergency", "emergency", "2026.10.3", absl::CivilDay(2026, 10, 28)},
    {"perioperative", "perioperative", "2026.10.1", absl::CivilDay(2026, 10, 7)},
    {"pediatrics", "pediatrics", "2026.11.1", absl::CivilDay(2026, 11, 10)},
    {"neonatal-icu", "neonatal-icu", "2026.09.2", absl::CivilDay(2026, 9, 22)},
    {"oncology", "oncology", "2026.11.3", absl::CivilDay(2026, 11, 24)},
    {"med-surg", "med-surg", "2026.11.1", absl::CivilDay(2026, 11, 4)},
};

constexpr ServicePort kHttpsAdminOnly[] = {{ServiceKind::SERVICE_KIND_HTTPS_ADMIN, 443}};

// Each list is sorted by key.
constexpr Setting kInfusiaSettings[] = {
    {"alarm.volume", "high"},
    {"display.brightness", "auto"},
    {"drug_library.require_signature", "true"},
    {"remote_service", "disabled"},
    {"time.ntp_server", "ntp.general.example"},
    {"wifi.eap", "tls"},
    {"wifi.ssid", "clinical-secure"},
};
constexpr Setting kFlowMaxSettings[] = {
    {"alarm.volume", "high"},         {"drug_library.require_signature", "true"}, {"occlusion.sensitivity", "medium"},
    {"remote_service", "disabled"},   {"time.ntp_server", "ntp.general.example"}, {"wifi.eap", "tls"},
    {"wifi.ssid", "clinical-secure"},
};
constexpr Setting kPcaGuardianSettings[] = {
    {"alarm.volume", "high"},         {"drug_library.require_signature", "true"}, {"lockbox.mode", "keyed"},
    {"remote_service", "disabled"},   {"time.ntp_server", "ntp.general.example"}, {"wifi.eap", "tls"},
    {"wifi.ssid", "clinical-secure"},
};

constexpr PumpModel kModels[] = {
    {"Acme Medical", "Infusia 500", "12.1.3", "11.4.0", "AM5", 55, true, WifiSecurity::WIFI_SECURITY_WPA2_ENTERPRISE,
     kHttpsAdminOnly, kInfusiaSettings},
    {"Northwind Devices",
     "FlowMax LVP",
     "4.2.0",
     "4.0.1",
     "NWF",
     30,
     true,
     WifiSecurity::WIFI_SECURITY_WPA2_ENTERPRISE,
     {},
     kFlowMaxSettings},
    {"Contoso Health",
     "PCA Guardian",
     "3.0.7",
     "2.9.9",
     "CHG",
     15,
     false,
     WifiSecurity::WIFI_SECURITY_WPA3_ENTERPRISE,
     {},
     kPcaGuardianSettings},
};

constexpr Site kSite = {"general", "St. Example General Hospital", kBuildings, kUnits, kDrugLibraries, kModels};

}  // namespace

const Site& ExampleGeneral() { return kSite; }

const Unit* FindUnit(const Site& site, std::string_view unit_id) {
  for (const Unit& unit : site.units) {
    if (unit.id == unit_id) return &unit;
  }
  return nullptr;
}

const DrugLibraryRelease* FindDrugLibrary(const Site& site, std::string_view care_area) {
  for (const DrugLibraryRelease& release : site.drug_libraries) {
    if (release.care_area == care_area) return &release;
  }
  return nullptr;
}

std::string Sha256Digest(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // EVP_Digest only fails on allocation failure; an empty digest would then fail any policy match, visibly.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) return "sha256:";
  // Debian's Abseil keeps its own string_view type, hence the explicit absl::string_view.
  return "sha256:" + absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

std::string ConfigurationDigest(const PumpModel& model) {
  std::vector<Setting> sorted(model.settings.begin(), model.settings.end());
  std::sort(sorted.begin(), sorted.end(), [](const Setting& a, const Setting& b) { return a.key < b.key; });
  std::string canonical;
  for (const Setting& setting : sorted) canonical += absl::StrFormat("%s=%s\n", setting.key, setting.value);
  return Sha256Digest(canonical);
}

std::string DrugLibraryDigest(const DrugLibraryRelease& release) {
  return Sha256Digest(absl::StrFormat("%s\n%s\n", release.name, release.version));
}

}  // namespace pumptrack::agents::sim
