import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { DeviceConfig } from '../config/schema.js'
import type { RawMessage } from '../core/event.js'
import { type ErrorCode, GatewayError } from '../core/errors.js'
import { type CheckContext, checkMessage } from './check-message.js'

const devices = new Map<string, DeviceConfig>([
  ['bed-r12', { id: 'bed-r12', type: 'bed-monitor', site: 'oak-house', person: 'p-001', not_reporting_priority: 'medium' }],
  ['sz-r14', { id: 'sz-r14', type: 'seizure-monitor', site: 'oak-house', person: 'p-002', not_reporting_priority: 'medium' }],
])
const ctx: CheckContext = { devices, maxPayloadBytes: 256, bridges: [], z2mDevices: new Map() }
const payload = Buffer.from(JSON.stringify({ event_id: 'b-0001', type: 'out_of_bed', at: '2026-11-28T02:14:05Z' }))

function raw(over: Partial<RawMessage> = {}): RawMessage {
  return { transport: 'mqtt', topic: 'care/oak-house/device/bed-r12/event', payload, principal: 'bed-r12', clientId: 'bed-r12-client', receivedAt: 1_795_832_045_000, ...over }
}

describe('checkMessage (ingest stage)', () => {
  it('passes a right-sized message on its own device topic, sent by that device', () => {
    const m = raw()
    const r = checkMessage(m, ctx)
    expect(r).toEqual({ ok: true, message: { raw: m, device: devices.get('bed-r12'), topicSuffix: null } })
  })

  it('passes the device\'s own status topic (its last will) marked as liveness', () => {
    const m = raw({ topic: 'care/oak-house/device/bed-r12/status', payload: Buffer.from('offline') })
    expect(checkMessage(m, ctx)).toEqual({ ok: true, message: { raw: m, device: devices.get('bed-r12'), topicSuffix: 'status' } })
  })

  it('accepts a payload of exactly max_payload_bytes', () => {
    expect(checkMessage(raw({ payload: Buffer.alloc(256, 0x20) }), ctx).ok).toBe(true)
  })

  it.each<{ why: string; over: Partial<RawMessage>; code: ErrorCode; message: string; deviceId: string | null }>([
    { why: 'a payload one byte over the limit', over: { payload: Buffer.alloc(257) }, code: 'GW_ERR_INPUT_TOO_LARGE', message: 'payload is 257 bytes, larger than the 256 byte limit', deviceId: 'bed-r12' },
    { why: 'an oversized payload on a bad topic (size is checked first)', over: { topic: 'x', payload: Buffer.alloc(10_000) }, code: 'GW_ERR_INPUT_TOO_LARGE', message: 'payload is 10000 bytes, larger than the 256 byte limit', deviceId: null },
    { why: 'a topic that is not a device event topic', over: { topic: 'care/oak-house/device/bed-r12/config' }, code: 'GW_ERR_INPUT_BAD_TOPIC', message: "topic 'care/oak-house/device/bed-r12/config' is not a device event topic (expected care/<site>/device/<device_id>/event or .../status)", deviceId: null },
    { why: 'a topic with an extra level', over: { topic: 'care/oak-house/device/bed-r12/event/x' }, code: 'GW_ERR_INPUT_BAD_TOPIC', message: "topic 'care/oak-house/device/bed-r12/event/x' is not a device event topic (expected care/<site>/device/<device_id>/event or .../status)", deviceId: null },
    { why: 'a topic with an upper-case device id', over: { topic: 'care/oak-house/device/BED-R12/event' }, code: 'GW_ERR_INPUT_BAD_TOPIC', message: "topic 'care/oak-house/device/BED-R12/event' is not a device event topic (expected care/<site>/device/<device_id>/event or .../status)", deviceId: null },
    { why: 'an empty topic', over: { topic: '' }, code: 'GW_ERR_INPUT_BAD_TOPIC', message: "topic '' is not a device event topic (expected care/<site>/device/<device_id>/event or .../status)", deviceId: null },
    { why: 'a device not in the configuration', over: { topic: 'care/oak-house/device/bed-r99/event', principal: 'bed-r99' }, code: 'GW_ERR_INPUT_UNKNOWN_DEVICE', message: "unknown device 'bed-r99'", deviceId: 'bed-r99' },
    { why: 'a known device on another site’s topic', over: { topic: 'care/elm-house/device/bed-r12/event' }, code: 'GW_ERR_INPUT_WRONG_SITE', message: "device 'bed-r12' belongs to site 'oak-house', not 'elm-house'", deviceId: 'bed-r12' },
    { why: 'a device publishing for another device', over: { topic: 'care/oak-house/device/sz-r14/event', principal: 'bed-r12' }, code: 'GW_ERR_INPUT_FOREIGN_DEVICE', message: "client 'bed-r12' may not publish for device 'sz-r14'", deviceId: 'sz-r14' },
    { why: 'a user principal publishing for a device', over: { principal: 'c-amy' }, code: 'GW_ERR_INPUT_FOREIGN_DEVICE', message: "client 'c-amy' may not publish for device 'bed-r12'", deviceId: 'bed-r12' },
    { why: 'an anonymous publisher', over: { principal: null }, code: 'GW_ERR_INPUT_FOREIGN_DEVICE', message: "client '(anonymous)' may not publish for device 'bed-r12'", deviceId: 'bed-r12' },
    { why: 'a principal differing only in case', over: { principal: 'BED-R12' }, code: 'GW_ERR_INPUT_FOREIGN_DEVICE', message: "client 'BED-R12' may not publish for device 'bed-r12'", deviceId: 'bed-r12' },
  ])('rejects $why with $code', ({ over, code, message, deviceId }) => {
    const r = checkMessage(raw(over), ctx)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error).toBeInstanceOf(GatewayError)
    expect(r.error.code).toBe(code)
    expect(r.error.category).toBe('input')
    expect(r.error.message).toBe(message)
    expect(r.deviceId).toBe(deviceId)
  })

  it('never throws and accepts only messages from the device named in the topic', () => {
    const topic = fc.oneof(fc.string(), fc.tuple(fc.constantFrom('oak-house', 'elm-house', ''), fc.constantFrom('bed-r12', 'sz-r14', 'x', '+')).map(([s, d]) => `care/${s}/device/${d}/event`))
    fc.assert(
      fc.property(topic, fc.option(fc.constantFrom('bed-r12', 'sz-r14', 'c-amy')), fc.uint8Array({ maxLength: 300 }), (t, principal, bytes) => {
        const r = checkMessage(raw({ topic: t, principal, payload: Buffer.from(bytes) }), ctx)
        if (r.ok === true) {
          expect(r.message.device.id).toBe(principal)
          expect(t).toBe(`care/oak-house/device/${principal}/event`)
          expect(bytes.length).toBeLessThanOrEqual(256)
        }
      }),
    )
  })
})
