// Finding a pump by what a person has in hand: an asset tag or a serial number.
import * as api from './api.js';

// All asset tags, for type-ahead (a <datalist>); fetched once per page view.
export async function allTags() {
  const devices = await api.callAll('pumptrack.v1.InventoryService/ListDevices', {}, 'devices');
  return devices.map((d) => d.identity.assetTag).sort();
}

// The Device for `text`, tried as an asset tag, then as a serial number; null when neither names a pump.
export async function findDevice(text) {
  const value = text.trim();
  if (!value) return null;
  for (const device of [{ assetTag: value }, { serialNumber: value }]) {
    try {
      return await api.call('pumptrack.v1.InventoryService/GetDevice', { device });
    } catch (error) {
      if (error.httpStatus !== 404 && error.httpStatus !== 400) throw error;
    }
  }
  return null;
}
