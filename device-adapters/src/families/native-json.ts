import { z } from 'zod'
import type { DecodeContext, DecodeResult } from '../define.js'

/**
 * The native JSON event format: the reference integration for vendors (docs/device-protocol.md).
 * Topic `care/<site>/device/<device_id>/event`, QoS 1, not retained, payload:
 *   {"event_id": "<unique per device, 1–64 chars>", "type": "<event type>", "at": "<RFC 3339 time>"}
 */
export const nativeEventSchema = z
  .object({
    event_id: z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'event_id must be printable ASCII without spaces'),
    type: z.string().min(1).max(64),
    at: z.iso.datetime({ offset: true, message: 'at must be an RFC 3339 time with a zone, e.g. 2026-11-28T02:14:05Z' }),
    /** Optional battery level in percent, reported with any event. */
    battery: z.number().min(0).max(100).optional(),
    /** Optional fault code with a `fault` event (vendor-specific; an unknown one is reported as such, never dropped). */
    code: z.string().min(1).max(32).regex(/^[\x21-\x7e]+$/, 'code must be printable ASCII without spaces').optional(),
  })
  .strict()

/** Decode one native JSON payload into one event. Never throws. */
export function decodeNativeJson(payload: Buffer, _ctx?: DecodeContext): DecodeResult {
  let json: unknown
  try {
    json = JSON.parse(payload.toString('utf8'))
  } catch (err) {
    return { ok: false, reason: 'not_json', message: (err as Error).message }
  }
  const parsed = nativeEventSchema.safeParse(json)
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    return { ok: false, reason: 'bad_shape', message }
  }
  const at = Date.parse(parsed.data.at)
  const facts = { ...(parsed.data.battery === undefined ? {} : { battery: parsed.data.battery }), ...(parsed.data.code === undefined ? {} : { code: parsed.data.code }) }
  const detail = Object.keys(facts).length ? facts : undefined
  return { ok: true, events: [{ eventId: parsed.data.event_id, type: parsed.data.type, at, ...(detail ? { detail } : {}) }] }
}
