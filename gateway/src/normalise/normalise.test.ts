import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
// Real adapters, not mocks (house-style §2.10: mock only at process boundaries).
import { deviceAdapters } from '../../../device-adapters/src/index.js'
import type { RawMessage } from '../core/event.js'
import { type ErrorCode, GatewayError } from '../core/errors.js'
import { type Decoder, normalise, type SourceDevice } from './normalise.js'

const adapters: ReadonlyMap<string, Decoder> = new Map(deviceAdapters.map((a) => [a.id, a]))
const bed: SourceDevice = { id: 'bed-r12', type: 'bed-monitor', site: 'oak-house' }
const RECEIVED = Date.UTC(2026, 10, 28, 2, 14, 6)

function msg(payload: Buffer | string, device: SourceDevice = bed): { raw: RawMessage; device: SourceDevice } {
  const raw: RawMessage = { transport: 'mqtt', topic: `care/${device.site}/device/${device.id}/event`, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), principal: device.id, clientId: null, receivedAt: RECEIVED }
  return { raw, device }
}
const json = (o: unknown) => JSON.stringify(o)
const good = { event_id: 'b-0001', type: 'out_of_bed', at: '2026-11-28T02:14:05Z' }
const parseError = (text: string) => {
  try {
    JSON.parse(text)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('valid JSON')
}

describe('normalise', () => {
  it('decodes a native JSON event into a DeviceEvent timed by gateway receipt, keeping the device time', () => {
    expect(normalise(msg(json({ ...good, battery: 81 })), adapters)).toEqual({
      ok: true,
      events: [{ siteId: 'oak-house', deviceId: 'bed-r12', eventId: 'b-0001', type: 'out_of_bed', deviceAt: Date.UTC(2026, 10, 28, 2, 14, 5), receivedAt: RECEIVED, detail: { battery: 81 } }],
      state: undefined,
    })
  })

  it.each([
    { at: '2026-11-28T03:14:05+01:00', ms: Date.UTC(2026, 10, 28, 2, 14, 5) },
    { at: '2026-11-28T02:14:05.250Z', ms: Date.UTC(2026, 10, 28, 2, 14, 5, 250) },
  ])('reads the device time $at with its zone', ({ at, ms }) => {
    const r = normalise(msg(json({ ...good, at })), adapters)
    expect(r.ok && r.events[0]!.deviceAt).toBe(ms)
  })

  it.each<{ why: string; payload: string; code: ErrorCode; message: string }>([
    { why: 'text that is not JSON', payload: 'not json', code: 'GW_ERR_INPUT_NOT_JSON', message: `payload is not valid JSON: ${parseError('not json')}` },
    { why: 'an empty payload', payload: '', code: 'GW_ERR_INPUT_NOT_JSON', message: `payload is not valid JSON: ${parseError('')}` },
    { why: 'truncated JSON', payload: json(good).slice(0, 20), code: 'GW_ERR_INPUT_NOT_JSON', message: `payload is not valid JSON: ${parseError(json(good).slice(0, 20))}` },
    { why: 'a missing event_id', payload: json({ type: 'in_bed', at: good.at }), code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: event_id: Invalid input: expected string, received undefined' },
    { why: 'an event_id with a space', payload: json({ ...good, event_id: 'b 1' }), code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: event_id: event_id must be printable ASCII without spaces' },
    { why: 'an `at` that is not a time', payload: json({ ...good, at: 'yesterday' }), code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: at: at must be an RFC 3339 time with a zone, e.g. 2026-11-28T02:14:05Z' },
    { why: 'an `at` without a zone', payload: json({ ...good, at: '2026-11-28T02:14:05' }), code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: at: at must be an RFC 3339 time with a zone, e.g. 2026-11-28T02:14:05Z' },
    { why: 'an `at` on 30 February', payload: json({ ...good, at: '2026-02-30T02:14:05Z' }), code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: at: at must be an RFC 3339 time with a zone, e.g. 2026-11-28T02:14:05Z' },
    { why: 'an `at` given as epoch milliseconds', payload: json({ ...good, at: 1_795_832_045_000 }), code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: at: at must be an RFC 3339 time with a zone, e.g. 2026-11-28T02:14:05Z' },
    { why: 'an extra key', payload: json({ ...good, colour: 'red' }), code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: (root): Unrecognized key: "colour"' },
    { why: 'a battery level over 100', payload: json({ ...good, battery: 101 }), code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: battery: Too big: expected number to be <=100' },
    { why: 'a JSON array', payload: '[]', code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: (root): Invalid input: expected object, received array' },
    { why: 'JSON null', payload: 'null', code: 'GW_ERR_INPUT_BAD_SHAPE', message: 'payload does not match the event schema: (root): Invalid input: expected object, received null' },
    { why: "another device type's event", payload: json({ ...good, type: 'seizure_alarm' }), code: 'GW_ERR_INPUT_UNKNOWN_EVENT_TYPE', message: "device type 'bed-monitor' has no event type 'seizure_alarm' (known: out_of_bed, in_bed, heartbeat, battery_low, fault)" },
    { why: 'an inherited property name as event type', payload: json({ ...good, type: 'constructor' }), code: 'GW_ERR_INPUT_UNKNOWN_EVENT_TYPE', message: "device type 'bed-monitor' has no event type 'constructor' (known: out_of_bed, in_bed, heartbeat, battery_low, fault)" },
    { why: '__proto__ as event type', payload: json({ ...good, type: '__proto__' }), code: 'GW_ERR_INPUT_UNKNOWN_EVENT_TYPE', message: "device type 'bed-monitor' has no event type '__proto__' (known: out_of_bed, in_bed, heartbeat, battery_low, fault)" },
  ])('rejects $why with $code and a message naming it', ({ payload, code, message }) => {
    const r = normalise(msg(payload), adapters)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error).toBeInstanceOf(GatewayError)
    expect(r.error).toMatchObject({ code, category: 'input', message })
  })

  it('lists every problem of a bad payload, not just the first', () => {
    const r = normalise(msg(json({ event_id: '', type: 'in_bed', at: 'now', extra: 1 })), adapters)
    expect(!r.ok && r.error.message).toMatch(/event_id: .*; at: .*; \(root\): Unrecognized key: "extra"/)
  })

  it('a device type with no adapter is a bug, named in the error', () => {
    const r = normalise(msg(json(good), { ...bed, type: 'acme-dc200' }), adapters)
    expect(!r.ok && r.error).toMatchObject({ code: 'GW_ERR_BUG', message: "internal error: no adapter for device type 'acme-dc200'" })
  })

  it('an adapter that throws costs only that message: GW_ERR_BUG naming the adapter, with the cause kept', () => {
    const boom = new Error('boom')
    const broken: Decoder = { id: 'flaky', events: { in_bed: 'x' }, decode: () => { throw boom } }
    const r = normalise(msg(json(good), { ...bed, type: 'flaky' }), new Map([['flaky', broken]]))
    expect(!r.ok && r.error).toMatchObject({ code: 'GW_ERR_BUG', message: "internal error: adapter 'flaky' threw: boom", cause: boom })
  })

  // Bug: normalise.ts reads `(err as Error).message` in its catch; when an adapter throws something that is not an
  // object (`throw undefined`, `throw null`), that read throws a TypeError out of normalise, defeating the isolation.
  it.each([undefined, null])('an adapter that throws %s still costs only that message', (value) => {
    const broken: Decoder = { id: 'flaky', events: {}, decode: () => { throw value } }
    const r = normalise(msg(json(good), { ...bed, type: 'flaky' }), new Map([['flaky', broken]]))
    expect(r).toMatchObject({ ok: false, error: { code: 'GW_ERR_BUG' } })
  })

  it.each(deviceAdapters.map((a) => a.id))('random bytes never make normalise throw for %s', (type) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const r = normalise(msg(Buffer.from(bytes), { ...bed, type }), adapters)
        if (!r.ok) expect(['GW_ERR_INPUT_NOT_JSON', 'GW_ERR_INPUT_BAD_SHAPE', 'GW_ERR_INPUT_UNKNOWN_EVENT_TYPE']).toContain(r.error.code)
      }),
      { numRuns: 500 },
    )
  })

  it('random JSON values and near-miss events never make normalise throw, and an accepted event has a declared type', () => {
    const nearMiss = fc.record({ event_id: fc.string(), type: fc.constantFrom('out_of_bed', 'in_bed', 'heartbeat', 'x', ''), at: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())) }, { requiredKeys: [] })
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), nearMiss), (value) => {
        const r = normalise(msg(Buffer.from(JSON.stringify(value) ?? '')), adapters)
        if (r.ok) {
          expect(Object.keys(adapters.get('bed-monitor')!.events)).toContain(r.events[0]!.type)
          expect(Number.isFinite(r.events[0]!.deviceAt)).toBe(true)
        }
      }),
      { numRuns: 500 },
    )
  })
})
