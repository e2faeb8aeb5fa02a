#include "cli/enum_words.h"

namespace pumptrack::cli {
namespace {

constexpr absl::string_view kUnknown = "unknown";

}  // namespace

absl::string_view OperatingStateName(v1::OperatingState state) {
  switch (state) {
    case v1::OPERATING_STATE_INFUSING:
      return "infusing";
    case v1::OPERATING_STATE_IDLE:
      return "idle";
    case v1::OPERATING_STATE_ALARM:
      return "alarm";
    case v1::OPERATING_STATE_OFF:
      return "off";
    default:
      return kUnknown;
  }
}

absl::string_view LocationSourceName(v1::LocationSource source) {
  switch (source) {
    case v1::LOCATION_SOURCE_RTLS:
      return "RTLS";
    case v1::LOCATION_SOURCE_WIFI_AP:
      return "Wi-Fi AP";
    case v1::LOCATION_SOURCE_GATEWAY_PORT:
      return "gateway port";
    case v1::LOCATION_SOURCE_MANUAL_SCAN:
      return "manual scan";
    default:
      return "unknown source";
  }
}

absl::string_view WifiSecurityName(v1::WifiSecurity security) {
  switch (security) {
    case v1::WIFI_SECURITY_NONE:
      return "no Wi-Fi";
    case v1::WIFI_SECURITY_OPEN:
      return "open";
    case v1::WIFI_SECURITY_WEP:
      return "WEP";
    case v1::WIFI_SECURITY_WPA_PSK:
      return "WPA-PSK";
    case v1::WIFI_SECURITY_WPA2_PSK:
      return "WPA2-PSK";
    case v1::WIFI_SECURITY_WPA2_ENTERPRISE:
      return "WPA2-Enterprise";
    case v1::WIFI_SECURITY_WPA3_PERSONAL:
      return "WPA3-Personal";
    case v1::WIFI_SECURITY_WPA3_ENTERPRISE:
      return "WPA3-Enterprise";
    default:
      return kUnknown;
  }
}

absl::string_view SealStateName(v1::SealState state) {
  switch (state) {
    case v1::SEAL_STATE_INTACT:
      return "intact";
    case v1::SEAL_STATE_BROKEN:
      return "broken";
    case v1::SEAL_STATE_MISSING:
      return "missing";
    default:
      return kUnknown;
  }
}

absl::string_view CaseStateName(v1::CaseState state) {
  switch (state) {
    case v1::CASE_STATE_NO_SENSOR:
      return "no sensor";
    case v1::CASE_STATE_CLOSED:
      return "closed";
    case v1::CASE_STATE_OPENED:
      return "opened";
    default:
      return kUnknown;
  }
}

absl::string_view PowerSourceName(v1::PowerSource source) {
  switch (source) {
    case v1::POWER_SOURCE_MAINS:
      return "mains";
    case v1::POWER_SOURCE_BATTERY:
      return "battery";
    default:
      return kUnknown;
  }
}

absl::string_view ServiceKindName(v1::ServiceKind kind) {
  switch (kind) {
    case v1::SERVICE_KIND_TELNET:
      return "telnet";
    case v1::SERVICE_KIND_FTP:
      return "ftp";
    case v1::SERVICE_KIND_SSH:
      return "ssh";
    case v1::SERVICE_KIND_HTTP_ADMIN:
      return "http-admin";
    case v1::SERVICE_KIND_HTTPS_ADMIN:
      return "https-admin";
    case v1::SERVICE_KIND_SNMP:
      return "snmp";
    case v1::SERVICE_KIND_USB_DEBUG:
      return "usb-debug";
    case v1::SERVICE_KIND_SERIAL_DEBUG:
      return "serial-debug";
    case v1::SERVICE_KIND_OTHER:
      return "other";
    default:
      return kUnknown;
  }
}

absl::string_view ChangeKindName(v1::ChangeKind kind) {
  switch (kind) {
    case v1::CHANGE_KIND_FIRST_SEEN:
      return "first seen";
    case v1::CHANGE_KIND_LOCATION:
      return "location";
    case v1::CHANGE_KIND_FIRMWARE:
      return "firmware";
    case v1::CHANGE_KIND_DRUG_LIBRARY:
      return "drug library";
    case v1::CHANGE_KIND_CONFIGURATION:
      return "configuration";
    case v1::CHANGE_KIND_SECURITY:
      return "security";
    case v1::CHANGE_KIND_SEAL:
      return "seal";
    case v1::CHANGE_KIND_REPORTING_AGENT:
      return "reporting agent";
    default:
      return kUnknown;
  }
}

absl::string_view FindingKindName(v1::FindingKind kind) {
  switch (kind) {
    case v1::FINDING_KIND_MISSING:
      return "missing";
    case v1::FINDING_KIND_MISCONFIGURED:
      return "misconfigured";
    case v1::FINDING_KIND_INSECURE:
      return "insecure";
    case v1::FINDING_KIND_TAMPERED:
      return "tampered";
    case v1::FINDING_KIND_UNAUTHORIZED_MOVE:
      return "unauthorized move";
    case v1::FINDING_KIND_MISROUTED:
      return "misrouted";
    case v1::FINDING_KIND_OVERDUE:
      return "overdue";
    case v1::FINDING_KIND_PAR_LOW:
      return "par low";
    case v1::FINDING_KIND_MAINTENANCE_DUE:
      return "maintenance due";
    case v1::FINDING_KIND_MAINTENANCE_OVERDUE:
      return "maintenance overdue";
    case v1::FINDING_KIND_BATTERY_DEGRADED:
      return "battery degraded";
    case v1::FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT:
      return "battery low for transport";
    case v1::FINDING_KIND_VULNERABLE:
      return "vulnerable";
    default:
      return kUnknown;
  }
}

absl::string_view SeverityName(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_LOW:
      return "low";
    case v1::SEVERITY_MEDIUM:
      return "medium";
    case v1::SEVERITY_HIGH:
      return "high";
    case v1::SEVERITY_CRITICAL:
      return "critical";
    default:
      return kUnknown;
  }
}

absl::string_view FindingStateName(v1::FindingState state) {
  switch (state) {
    case v1::FINDING_STATE_OPEN:
      return "open";
    case v1::FINDING_STATE_ACKNOWLEDGED:
      return "acknowledged";
    case v1::FINDING_STATE_RESOLVED:
      return "resolved";
    default:
      return kUnknown;
  }
}

absl::string_view FindingEventTypeName(v1::FindingEvent::Type type) {
  switch (type) {
    case v1::FindingEvent::TYPE_OPENED:
      return "opened";
    case v1::FindingEvent::TYPE_CHANGED:
      return "changed";
    case v1::FindingEvent::TYPE_RESOLVED:
      return "resolved";
    case v1::FindingEvent::TYPE_RESYNC:
      return "resync";
    default:
      return kUnknown;
  }
}

absl::string_view HomeSourceName(v1::HomeSource source) {
  switch (source) {
    case v1::HOME_SOURCE_FIRST_SEEN:
      return "first seen";
    case v1::HOME_SOURCE_ASSIGNED:
      return "assigned";
    case v1::HOME_SOURCE_SITE:
      return "asset register";
    default:
      return kUnknown;
  }
}

absl::string_view CustodyStateName(v1::CustodyState state) {
  switch (state) {
    case v1::CUSTODY_STATE_UNSPECIFIED:
    case v1::CUSTODY_STATE_AVAILABLE:
      return "available";
    case v1::CUSTODY_STATE_IN_TRANSIT:
      return "in transit";
    case v1::CUSTODY_STATE_QUARANTINED:
      return "quarantined";
    case v1::CUSTODY_STATE_IN_MAINTENANCE:
      return "in maintenance";
    case v1::CUSTODY_STATE_RETIRED:
      return "retired";
    default:
      return kUnknown;
  }
}

absl::string_view CustodyActionName(v1::CustodyAction action) {
  switch (action) {
    case v1::CUSTODY_ACTION_CHECK_OUT:
      return "check-out";
    case v1::CUSTODY_ACTION_CHECK_IN:
      return "check-in";
    case v1::CUSTODY_ACTION_QUARANTINE:
      return "quarantine";
    case v1::CUSTODY_ACTION_RELEASE:
      return "release";
    case v1::CUSTODY_ACTION_SET_MAINTENANCE:
      return "maintenance";
    case v1::CUSTODY_ACTION_RETIRE:
      return "retire";
    default:
      return kUnknown;
  }
}

absl::string_view ProximityName(v1::Proximity proximity) {
  switch (proximity) {
    case v1::PROXIMITY_SAME_UNIT:
      return "same unit";
    case v1::PROXIMITY_SAME_FLOOR:
      return "same floor";
    case v1::PROXIMITY_SAME_BUILDING:
      return "same building";
    case v1::PROXIMITY_SAME_FACILITY:
      return "same facility";
    case v1::PROXIMITY_OTHER_FACILITY:
      return "other facility";
    default:
      return kUnknown;
  }
}

absl::string_view RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_VIEWER:
      return "viewer";
    case v1::ROLE_TRANSPORT:
      return "transport";
    case v1::ROLE_ASSET_MANAGER:
      return "asset_manager";
    case v1::ROLE_AUDITOR:
      return "auditor";
    case v1::ROLE_ADMIN:
      return "admin";
    case v1::ROLE_TECHNICIAN:
      return "technician";
    default:
      return kUnknown;
  }
}

absl::string_view AgentStateName(v1::AgentState state) {
  switch (state) {
    case v1::AGENT_STATE_ENROLLED:
      return "enrolled";
    case v1::AGENT_STATE_REVOKED:
      return "revoked";
    default:
      return kUnknown;
  }
}

absl::string_view ActorKindName(v1::ActorKind kind) {
  switch (kind) {
    case v1::ACTOR_KIND_TOKEN:
      return "token";
    case v1::ACTOR_KIND_AGENT:
      return "agent";
    case v1::ACTOR_KIND_OPERATOR:
      return "operator";
    case v1::ACTOR_KIND_SERVICE:
      return "service";
    default:
      return kUnknown;
  }
}

}  // namespace pumptrack::cli
