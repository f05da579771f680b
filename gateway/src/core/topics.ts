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

/**
 * Parse a device topic: `care/<site>/device/<device_id>/event` (events) or `.../status` (last will and
 * liveness, `online`/`offline`; protocols.md §6.1). Returns null for anything else. Split once per message.
 */
export function parseDeviceTopic(topic: string): { siteId: string; deviceId: string; suffix: 'event' | 'status' } | null {
  const parts = topic.split('/')
  const suffix = parts[4]
  if (parts.length !== 5 || parts[0] !== 'care' || parts[2] !== 'device' || (suffix !== 'event' && suffix !== 'status')) return null
  const siteId = parts[1]!
  const deviceId = parts[3]!
  if (!isValidId(siteId) || !isValidId(deviceId)) return null
  return { siteId, deviceId, suffix }
}

/** Parse a device event topic; returns null for anything else. */
export function parseDeviceEventTopic(topic: string): { siteId: string; deviceId: string } | null {
  const t = parseDeviceTopic(topic)
  return t?.suffix === 'event' ? { siteId: t.siteId, deviceId: t.deviceId } : null
}
