import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { DecodeResult, DeviceAdapter } from '../define.js'
import z2mDoorContact from '../devices/z2m-door-contact.js'
import z2mPir from '../devices/z2m-pir.js'
import z2mPressureMat from '../devices/z2m-pressure-mat.js'
import z2mSeizureBase, { seizureBaseType } from '../devices/z2m-seizure-base.js'
import z2mVibration from '../devices/z2m-vibration.js'
import z2mWaterLeak from '../devices/z2m-water-leak.js'
import { availability, battery, binary, contact, occupancy } from '../extend/index.js'
import { zigbee2mqttDecoder, type Z2mDecoder } from './zigbee2mqtt.js'

/**
 * The zigbee2mqtt family and its device types (protocols.md §5.2). Payloads are the §5.2 shapes written by hand.
 * Plain-string payloads (old availability form) are sent as-is; everything else as JSON.
 */
const seizureBaseNo = seizureBaseType('z2m-seizure-base-no', 'closed')
const devices: readonly DeviceAdapter[] = [z2mPir, z2mDoorContact, z2mVibration, z2mWaterLeak, z2mPressureMat, z2mSeizureBase, seizureBaseNo]

const wire = (payload: unknown) => Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload))
const types = (r: DecodeResult) => (r.ok ? r.events.map((e) => e.type) : r)

/** Feed messages in order, threading the returned state as the next `previous`; return the event types per message. */
function run(decode: (p: Buffer, c: { previous: unknown; topicSuffix: string | null }) => DecodeResult, messages: readonly (readonly [unknown, string | null])[]): string[][] {
  let previous: unknown
  return messages.map(([payload, topicSuffix]) => {
    const r = decode(wire(payload), { previous, topicSuffix })
    if (!r.ok) throw new Error(`unexpected rejection: ${r.message}`)
    previous = r.state
    return r.events.map((e) => e.type)
  })
}
const states = (...payloads: unknown[]) => payloads.map((p) => [p, null] as const)

describe('zigbee2mqtt device types: declarations', () => {
  it.each(devices.map((d) => [d.id, d] as const))('%s is a zigbee2mqtt type whose blocks only raise declared events', (_id, d) => {
    expect(d.family).toBe('zigbee2mqtt')
    const raised = (d.decode as Z2mDecoder).blocks.flatMap((b) => [b.onActive, b.onInactive]).filter((t): t is string => t !== undefined)
    expect(raised.filter((t) => !(t in d.events))).toEqual([])
    // Availability is left to supervision (brief): never a technical alert of its own.
    expect(Object.keys(d.technical ?? {})).not.toContain('offline')
    expect(d.examples.some((ex) => ex.previous !== undefined && ex.events.length === 0)).toBe(true)
    const avail = d.examples.filter((ex) => ex.topicSuffix === 'availability')
    expect(avail.some((ex) => typeof ex.payload === 'string')).toBe(true)
    expect(avail.some((ex) => typeof ex.payload === 'object')).toBe(true)
  })

  it('the seizure base raises a high SEIZURE MONITOR FAULT', () => {
    expect(z2mSeizureBase.technical?.fault).toEqual({ alert_class: 'SEIZURE MONITOR FAULT', priority: 'high', cleared_by: 'fault_cleared' })
  })
})

describe('zigbee2mqtt device types: every example decodes to its declared events', () => {
  const examples = devices.flatMap((d) => d.examples.map((ex, i) => ({ id: d.id, i, d, ex })))
  it.each(examples)('$id example $i', ({ d, ex }) => {
    const r = d.decode(wire(ex.payload), { previous: ex.previous, topicSuffix: ex.topicSuffix ?? null })
    expect(types(r)).toEqual(ex.events.map((e) => e.type))
    if (r.ok) for (const e of r.events) expect(e).toMatchObject({ eventId: null, at: null })
  })
})

describe('edge detection over a sequence', () => {
  const pir = (occ: boolean) => ({ occupancy: occ, battery: 87, battery_low: false, tamper: false, linkquality: 120 })

  it('occupancy false → true → true → false raises motion once, and nothing for false', () => {
    expect(run(z2mPir.decode, states(pir(false), pir(true), pir(true), pir(false)))).toEqual([[], ['motion'], [], []])
  })

  it('raises motion_cleared only when the block is configured to', () => {
    const decode = zigbee2mqttDecoder([occupancy({ off: 'motion_cleared' })])
    expect(run(decode, states(pir(false), pir(true), pir(true), pir(false)))).toEqual([[], ['motion'], [], ['motion_cleared']])
  })

  it.each<[string, unknown, string[]]>([
    ['occupancy', { occupancy: true }, ['motion']],
    ['tamper', { tamper: true }, ['tamper']],
    ['battery_low', { battery_low: true }, ['battery_low']],
    ['occupancy false', { occupancy: false, tamper: false, battery_low: false, battery: 80 }, []],
  ])('first message after start raises active conditions only (%s)', (_what, payload, expected) => {
    expect(types(z2mPir.decode(wire(payload), { previous: undefined, topicSuffix: null }))).toEqual(expected)
  })

  it.each<[string, unknown, string[]]>([
    ['water_leak true', { water_leak: true }, ['water_leak']],
    ['water_leak false', { water_leak: false }, []],
  ])('water leak first message: %s', (_what, payload, expected) => {
    expect(types(z2mWaterLeak.decode(wire(payload), { previous: undefined, topicSuffix: null }))).toEqual(expected)
  })

  it('keeps the state across topics: an availability message does not forget occupancy', () => {
    expect(run(z2mPir.decode, [[pir(true), null], ['offline', 'availability'], [pir(true), null], ['{"state":"online"}', 'availability']])).toEqual([['motion'], ['offline'], [], ['online']])
  })

  it('a missing or null key leaves the remembered value alone (whole state, but not every key known yet)', () => {
    expect(run(z2mPir.decode, states(pir(true), { battery: 80 }, { occupancy: null }, pir(true)))).toEqual([['motion'], [], [], []])
  })

  it('ignores unknown keys and copies battery and linkquality into the detail', () => {
    const r = z2mPir.decode(wire({ occupancy: true, battery: 87, linkquality: 120, voltage: 3000, illuminance: 12, update: { state: 'idle' } }), { previous: undefined, topicSuffix: null })
    expect(r).toMatchObject({ ok: true, events: [{ type: 'motion', eventId: null, at: null, detail: { battery: 87, linkquality: 120 } }] })
  })

  it('returns the remembered facts as state, keyed by block name', () => {
    const r = z2mPir.decode(wire({ occupancy: true, battery: 87, battery_low: false, tamper: false }), { previous: { availability: 'online' }, topicSuffix: null })
    expect(r).toMatchObject({ ok: true, state: { occupancy: true, battery_low: false, tamper: false, battery_below: false, availability: 'online' } })
  })
})

describe('contact: true = closed, false = open (§5.2)', () => {
  it.each<[string, DeviceAdapter, boolean, boolean, string[]]>([
    ['door opens', z2mDoorContact, true, false, ['door_open']],
    ['door closes', z2mDoorContact, false, true, ['door_closed']],
    ['mat pressed (NC: input opens)', z2mPressureMat, true, false, ['mat_pressed']],
    ['mat released (NC: input closes)', z2mPressureMat, false, true, ['mat_released']],
    ['NC seizure relay opens', z2mSeizureBase, true, false, ['seizure_alarm']],
    ['NC seizure relay closes again', z2mSeizureBase, false, true, ['seizure_cleared']],
    ['NO seizure relay closes', seizureBaseNo, false, true, ['seizure_alarm']],
    ['NO seizure relay opens again', seizureBaseNo, true, false, ['seizure_cleared']],
  ])('%s', (_what, d, before, now, expected) => {
    expect(types(d.decode(wire({ contact: now }), { previous: { contact: before }, topicSuffix: null }))).toEqual(expected)
  })

  it.each<[string, 'open' | 'closed', boolean, string[]]>([
    ['open-active, found open', 'open', false, ['opened']],
    ['open-active, found closed', 'open', true, []],
    ['closed-active, found closed', 'closed', true, ['closed']],
    ['closed-active, found open', 'closed', false, []],
  ])('first message raises only the active position (%s)', (_what, active, value, expected) => {
    const decode = zigbee2mqttDecoder([contact({ open: 'opened', closed: 'closed', active })])
    expect(types(decode(wire({ contact: value }), { previous: undefined, topicSuffix: null }))).toEqual(expected)
  })
})

describe('battery level', () => {
  it('raises battery_low once when crossing below lowBelow, re-arming only after recovery past the hysteresis', () => {
    const levels = [50, 25, 20, 19, 18, 20, 19, 24, 25, 30, 10, 9]
    const raised = run(zigbee2mqttDecoder([battery({ lowBelow: 20 })]), states(...levels.map((b) => ({ battery: b }))))
    expect(raised.flatMap((ev, i) => ev.map((t) => `${levels[i]}:${t}`))).toEqual(['19:battery_low', '10:battery_low'])
  })

  it('carries the level in the detail and can send an ok event on recovery', () => {
    const decode = zigbee2mqttDecoder([battery({ lowBelow: 20, hysteresis: 0, ok: 'battery_ok' })])
    const low = decode(wire({ battery: 15 }), { previous: undefined, topicSuffix: null })
    expect(low).toMatchObject({ ok: true, events: [{ type: 'battery_low', detail: { battery: 15 } }] })
    expect(types(decode(wire({ battery: 20 }), { previous: low.ok ? low.state : undefined, topicSuffix: null }))).toEqual(['battery_ok'])
  })

  it('raises one battery_low when the flag and the level agree in the same message', () => {
    expect(types(z2mPir.decode(wire({ battery: 10, battery_low: true }), { previous: undefined, topicSuffix: null }))).toEqual(['battery_low'])
  })

  it('rejects nonsense thresholds at definition time', () => {
    expect(() => battery({ lowBelow: 0 })).toThrow(TypeError)
    expect(() => battery({ lowBelow: 20, hysteresis: -1 })).toThrow(TypeError)
  })
})

describe('availability, JSON and plain forms (§5.2)', () => {
  it.each<[string, string, string[]]>([
    ['JSON offline', '{"state":"offline"}', ['offline']],
    ['plain offline', 'offline', ['offline']],
    ['plain offline with a newline', 'offline\n', ['offline']],
    ['JSON online at start', '{"state":"online"}', []],
    ['plain online at start', 'online', []],
  ])('%s', (_what, text, expected) => {
    expect(types(z2mDoorContact.decode(Buffer.from(text), { previous: undefined, topicSuffix: 'availability' }))).toEqual(expected)
  })

  it.each<[string, string[]]>([
    ['json', ['{"state":"online"}', '{"state":"offline"}', '{"state":"offline"}', '{"state":"online"}']],
    ['plain', ['online', 'offline', 'offline', 'online']],
    ['mixed', ['online', '{"state":"offline"}', 'offline', '{"state":"online"}']],
  ])('online → offline → offline → online (%s) raises offline once, then online', (_form, texts) => {
    expect(run(zigbee2mqttDecoder([availability()]), texts.map((t) => [t, 'availability'] as const))).toEqual([[], ['offline'], [], ['online']])
  })

  it('ignores availability for a type without the availability block, keeping its state', () => {
    const decode = zigbee2mqttDecoder([occupancy()])
    expect(decode(Buffer.from('offline'), { previous: { occupancy: true }, topicSuffix: 'availability' })).toEqual({ ok: true, events: [], state: { occupancy: true } })
  })
})

describe('bad payloads give precise reasons', () => {
  it.each<[string, string, string | null, 'not_json' | 'bad_shape', RegExp]>([
    ['broken JSON', '{"occupancy": tru', null, 'not_json', /^payload is not JSON: /],
    ['empty payload', '', null, 'not_json', /empty payload/],
    ['a JSON array', '[{"occupancy":true}]', null, 'bad_shape', /must be a JSON object, got array/],
    ['JSON null', 'null', null, 'bad_shape', /must be a JSON object, got null/],
    ['a JSON number', '42', null, 'bad_shape', /must be a JSON object, got number/],
    ['a JSON string', '"online"', null, 'bad_shape', /must be a JSON object, got string/],
    ['occupancy as a string', '{"occupancy":"yes"}', null, 'bad_shape', /^'occupancy' must be true or false .*got "yes"$/],
    ['tamper as a number', '{"occupancy":true,"tamper":1}', null, 'bad_shape', /^'tamper' must be true or false .*got 1$/],
    ['battery as a string', '{"battery":"87"}', null, 'bad_shape', /^'battery' must be a number \(percent\), got "87"$/],
    ['availability nonsense', 'maybe', 'availability', 'not_json', /^availability must be .*payload is not JSON/],
    ['availability unknown state', '{"state":"sleeping"}', 'availability', 'bad_shape', /got state "sleeping"$/],
    ['availability missing state', '{"online":true}', 'availability', 'bad_shape', /got state missing$/],
    ['availability array', '["online"]', 'availability', 'bad_shape', /got array$/],
    ['an unknown sub-topic', '{"occupancy":true}', 'config', 'bad_shape', /unexpected zigbee2mqtt sub-topic 'config'/],
  ])('%s', (_what, text, topicSuffix, reason, message) => {
    const r = z2mPir.decode(Buffer.from(text), { previous: undefined, topicSuffix })
    expect(r).toMatchObject({ ok: false, reason })
    if (!r.ok) expect(r.message).toMatch(message)
  })

  it.each(['set', 'get', 'set/occupancy_timeout'])('ignores commands on <name>/%s and keeps the state', (suffix) => {
    expect(z2mPir.decode(Buffer.from('{"occupancy_timeout":90}'), { previous: { occupancy: true }, topicSuffix: suffix })).toEqual({ ok: true, events: [], state: { occupancy: true } })
  })

  it('refuses block lists that would share a remembered name, or are empty', () => {
    expect(() => zigbee2mqttDecoder([binary({ key: 'a', name: 'x', activeWhen: true }), binary({ key: 'b', name: 'x', activeWhen: true })])).toThrow(/'x'/)
    expect(() => zigbee2mqttDecoder([])).toThrow(TypeError)
  })
})

describe('never throws (fast-check)', () => {
  const suffix = fc.constantFrom(null, 'availability', 'set', 'other')
  const check = (r: DecodeResult) => {
    if (!r.ok) expect(['not_json', 'bad_shape']).toContain(r.reason)
  }

  it('random JSON objects with z2m keys, random previous state', () => {
    const value = fc.oneof(fc.boolean(), fc.double(), fc.integer({ min: -5, max: 120 }), fc.string(), fc.constant(null), fc.jsonValue())
    const key = fc.constantFrom('occupancy', 'contact', 'tamper', 'battery', 'battery_low', 'water_leak', 'vibration', 'state', 'linkquality', '__proto__', 'constructor')
    fc.assert(
      fc.property(fc.dictionary(key, value), fc.anything(), suffix, (obj, previous, topicSuffix) => {
        for (const d of devices) check(d.decode(Buffer.from(JSON.stringify(obj)), { previous, topicSuffix }))
      }),
      { numRuns: 300 },
    )
  })

  it('random JSON values and random bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))), suffix, (buf, topicSuffix) => {
        for (const d of devices) check(d.decode(buf, { previous: undefined, topicSuffix }))
      }),
      { numRuns: 300 },
    )
  })
})
