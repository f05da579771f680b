/**
 * The gateway's MQTT topic scheme. Topics are only built and parsed here (house-style §2.7).
 * Device events: `care/<site>/device/<device_id>/event` (QoS 1, never retained).
 * Gateway status: `care/<site>/gateway/status` (retained, with a last will of `offline`; protocols.md §6.1).
 */
const idPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/

/** True when `s` is a valid site, device or person id: lower-case, digits, `-` and `_`, 1–64 characters. */
export function isValidId(s: string): boolean {
  return idPattern.test(s)
}

export function deviceEventTopic(siteId: string, deviceId: string): string {
  return `care/${siteId}/device/${deviceId}/event`
}

/** Retained chain head of the audit trail (issue 8), for another system to record. */
export function auditAnchorTopic(siteId: string): string {
  return `care/${siteId}/gateway/audit-anchor`
}

export function gatewayStatusTopic(siteId: string): string {
  return `care/${siteId}/gateway/status`
}

/** A device's last-will / liveness topic: `care/<site>/device/<device_id>/status` with `online` or `offline`. */
export function deviceStatusTopic(siteId: string, deviceId: string): string {
  return `care/${siteId}/device/${deviceId}/status`
}

/** Parse a device status topic; returns null for anything else. */
export function parseDeviceStatusTopic(topic: string): { siteId: string; deviceId: string } | null {
  const parts = topic.split('/')
  if (parts.length !== 5 || parts[0] !== 'care' || parts[2] !== 'device' || parts[4] !== 'status') return null
  return isValidId(parts[1]!) && isValidId(parts[3]!) ? { siteId: parts[1]!, deviceId: parts[3]! } : null
}

/** Parse a device event topic; returns null for anything else. */
export function parseDeviceEventTopic(topic: string): { siteId: string; deviceId: string } | null {
  const parts = topic.split('/')
  if (parts.length !== 5 || parts[0] !== 'care' || parts[2] !== 'device' || parts[4] !== 'event') return null
  const siteId = parts[1]!
  const deviceId = parts[3]!
  if (!isValidId(siteId) || !isValidId(deviceId)) return null
  return { siteId, deviceId }
}
