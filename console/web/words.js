// Enum names of the protobuf JSON in the words the CLI uses (cli/enum_words.cc), and small formatters.

// 'FINDING_KIND_UNAUTHORIZED_MOVE' with prefix 'FINDING_KIND_' → 'unauthorized move'.
export function word(value, prefix) {
  if (!value || value.endsWith('_UNSPECIFIED')) return '—';
  const rest = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return rest.toLowerCase().replaceAll('_', ' ');
}

export const kindWord = (v) => word(v, 'FINDING_KIND_');
export const severityWord = (v) => word(v, 'SEVERITY_');
export const findingStateWord = (v) => word(v, 'FINDING_STATE_');
export const operatingWord = (v) => word(v, 'OPERATING_STATE_');
export const actionWord = (v) => word(v, 'CUSTODY_ACTION_');
export const changeWord = (v) => word(v, 'CHANGE_KIND_');
export const proximityWord = (v) => word(v, 'PROXIMITY_');
export const sealWord = (v) => word(v, 'SEAL_STATE_');
export const caseWord = (v) => word(v, 'CASE_STATE_');
export const serviceWord = (v) => word(v, 'SERVICE_KIND_').replaceAll(' ', '-');
export const homeSourceWord = (v) => (v === 'HOME_SOURCE_SITE' ? 'asset register' : word(v, 'HOME_SOURCE_'));

// An unset custody state is "available", as the CLI says.
export function custodyWord(v) {
  return !v || v === 'CUSTODY_STATE_UNSPECIFIED' ? 'available' : word(v, 'CUSTODY_STATE_');
}

export function roleWord(v) {
  return word(v, 'ROLE_').replaceAll(' ', '_');
}

const SOURCES = {
  LOCATION_SOURCE_RTLS: 'RTLS',
  LOCATION_SOURCE_WIFI_AP: 'Wi-Fi AP',
  LOCATION_SOURCE_GATEWAY_PORT: 'gateway port',
  LOCATION_SOURCE_MANUAL_SCAN: 'manual scan',
};
export const sourceWord = (v) => SOURCES[v] || 'unknown source';

const WIFI = {
  WIFI_SECURITY_NONE: 'no Wi-Fi', WIFI_SECURITY_OPEN: 'open', WIFI_SECURITY_WEP: 'WEP',
  WIFI_SECURITY_WPA_PSK: 'WPA-PSK', WIFI_SECURITY_WPA2_PSK: 'WPA2-PSK',
  WIFI_SECURITY_WPA2_ENTERPRISE: 'WPA2-Enterprise', WIFI_SECURITY_WPA3_PERSONAL: 'WPA3-Personal',
  WIFI_SECURITY_WPA3_ENTERPRISE: 'WPA3-Enterprise',
};
export const wifiWord = (v) => WIFI[v] || '—';

export const SEVERITIES = ['SEVERITY_CRITICAL', 'SEVERITY_HIGH', 'SEVERITY_MEDIUM', 'SEVERITY_LOW'];
export const FINDING_KINDS = [
  'FINDING_KIND_MISSING', 'FINDING_KIND_MISCONFIGURED', 'FINDING_KIND_INSECURE', 'FINDING_KIND_TAMPERED',
  'FINDING_KIND_UNAUTHORIZED_MOVE', 'FINDING_KIND_MISROUTED', 'FINDING_KIND_OVERDUE', 'FINDING_KIND_PAR_LOW',
  'FINDING_KIND_VULNERABLE', 'FINDING_KIND_MAINTENANCE_DUE', 'FINDING_KIND_MAINTENANCE_OVERDUE',
  'FINDING_KIND_BATTERY_DEGRADED', 'FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT',
];
export const FINDING_STATES = ['FINDING_STATE_OPEN', 'FINDING_STATE_ACKNOWLEDGED', 'FINDING_STATE_RESOLVED'];
export const OPERATING_STATES = [
  'OPERATING_STATE_INFUSING', 'OPERATING_STATE_IDLE', 'OPERATING_STATE_ALARM', 'OPERATING_STATE_OFF',
];

// An RFC 3339 timestamp of the protobuf JSON → local "2026-12-06 16:42:10"; empty or the epoch → '—'.
export function when(timestamp) {
  if (!timestamp || timestamp.startsWith('1970-01-01')) return '—';
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return timestamp;
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// "3 min ago" for a timestamp.
export function ago(timestamp) {
  if (!timestamp || timestamp.startsWith('1970-01-01')) return '';
  const seconds = Math.round((Date.now() - new Date(timestamp).getTime()) / 1000);
  if (Number.isNaN(seconds)) return '';
  if (seconds < 60) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

// facility › building › floor › unit › room of a Location, skipping empty parts.
export function place(location) {
  if (!location) return '—';
  const parts = [location.facility, location.building, location.floor && `floor ${location.floor}`,
    location.unit, location.room].filter(Boolean);
  const text = parts.length ? parts.join(' › ') : '—';
  return location.leftKnownPlaces ? `${text} (left known places)` : text;
}

// A duration the person types ("2h", "30m", "1d", "90s") → protobuf JSON Duration ("7200s"); null when invalid.
export function parseDue(text) {
  const m = /^\s*(\d+)\s*([smhd])\s*$/i.exec(text || '');
  if (!m) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[m[2].toLowerCase()];
  return `${Number(m[1]) * unit}s`;
}
