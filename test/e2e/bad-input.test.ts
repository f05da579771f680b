import type { MqttClient } from 'mqtt'
import mqtt from 'mqtt'
import { connect as tcpConnect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, eventId, eventually } from '../helpers/clients.js'
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js'

/**
 * Non-negotiable 4: bad input gets a precise rejection, is counted and audited, and every other event
 * keeps flowing. After each bad message, a valid seizure alarm must still reach its alert.
 */
describe('bad device input is rejected precisely and nothing else is lost', () => {
  let gw: GatewayProcess
  let monitor: MqttClient
  let kim: string
  let validSent = 0

  beforeAll(async () => {
    gw = await startGatewayProcess()
    kim = gw.credentials.users['tl-kim']!
    monitor = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
  })
  afterAll(async () => {
    await monitor?.endAsync()
    expect(await gw.kill('SIGTERM')).toBe(0)
  })

  const at = () => new Date().toISOString()
  const valid = () => JSON.stringify({ event_id: eventId('ok'), type: 'seizure_alarm', at: at() })

  async function lastRejection(): Promise<{ device_id: string | null; detail: { code: string; reason: string } }> {
    const r = await api(gw.httpPort, kim, '/api/audit?kind=input.rejected&limit=1000')
    return r.body.entries.at(-1)
  }

  async function validEventStillRaises(): Promise<void> {
    await monitor.publishAsync('care/oak-house/device/sz-r14/event', valid(), { qos: 1 })
    validSent++
    const r = await api(gw.httpPort, kim, '/api/alerts?state=open')
    const seizure = (r.body.alerts as { alert_class: string; trigger_count: number }[]).find((a) => a.alert_class === 'SEIZURE')
    // The first valid alarm raises the alert; each later one is folded into it as a repeat trigger.
    expect(seizure?.trigger_count).toBe(validSent)
  }

  // Rejected by the gateway after the broker let them through: acknowledged, audited as input.rejected.
  const cases: { name: string; topic: string; payload: () => string | Buffer; code: string; reason: RegExp; deviceId: string | null }[] = [
    { name: 'not JSON', topic: 'care/oak-house/device/sz-r14/event', payload: () => '{"event_id": "x", type', code: 'GW_ERR_INPUT_NOT_JSON', reason: /^payload is not valid JSON: /, deviceId: 'sz-r14' },
    { name: 'wrong shape (no time)', topic: 'care/oak-house/device/sz-r14/event', payload: () => JSON.stringify({ event_id: 'e1', type: 'seizure_alarm' }), code: 'GW_ERR_INPUT_BAD_SHAPE', reason: /at: /, deviceId: 'sz-r14' },
    { name: 'wrong shape (unknown key)', topic: 'care/oak-house/device/sz-r14/event', payload: () => JSON.stringify({ event_id: 'e2', type: 'seizure_alarm', at: at(), diagnosis: 'x' }), code: 'GW_ERR_INPUT_BAD_SHAPE', reason: /diagnosis/, deviceId: 'sz-r14' },
    { name: 'unknown event type', topic: 'care/oak-house/device/sz-r14/event', payload: () => JSON.stringify({ event_id: 'e3', type: 'explode', at: at() }), code: 'GW_ERR_INPUT_UNKNOWN_EVENT_TYPE', reason: /device type 'seizure-monitor' has no event type 'explode'/, deviceId: 'sz-r14' },
    { name: 'oversized', topic: 'care/oak-house/device/sz-r14/event', payload: () => 'x'.repeat(5000), code: 'GW_ERR_INPUT_TOO_LARGE', reason: /payload is 5000 bytes, larger than the 4096 byte limit/, deviceId: 'sz-r14' },
  ]

  it.each(cases)('rejects $name with $code, audits it, and a valid event just after still raises its alert', async (c) => {
    await monitor.publishAsync(c.topic, c.payload(), { qos: 1 })
    const rejection = await lastRejection()
    expect(rejection.detail.code).toBe(c.code)
    expect(rejection.detail.reason).toMatch(c.reason)
    expect(rejection.device_id).toBe(c.deviceId)
    await validEventStillRaises()
  })

  // Refused by the broker's topic ACL before the gateway sees them (issue 6: no device may speak for another):
  // no PUBACK, the sender is disconnected, the refusal is audited, and other devices keep flowing.
  const aclCases = [
    { name: 'another device\'s topic', topic: 'care/oak-house/device/sz-r14/event' },
    { name: 'an unknown device\'s topic', topic: 'care/oak-house/device/ghost-7/event' },
    { name: 'a topic that is not a device topic', topic: 'care/oak-house/somewhere' },
    { name: 'its own id at another site', topic: 'care/elm-court/device/bed-r12/event' },
    { name: 'an alert topic only the gateway may use', topic: 'care/oak-house/alert/al-1/event' },
  ]
  it.each(aclCases)('refuses bed-r12 publishing on $name at the broker, audits it, and other devices keep flowing', async (c) => {
    const intruder = await connectDevice(gw.mqttPort, 'bed-r12', gw.credentials.devices['bed-r12']!)
    const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()))
    intruder.publish(c.topic, valid(), { qos: 1 })
    await closed
    intruder.end(true)
    // The refusal is audited asynchronously to the disconnect: wait for its row.
    const last = await eventually(async () => {
      const refusals = (await api(gw.httpPort, kim, '/api/audit?kind=access.refused&limit=1000')).body.entries as { actor: string; detail: { what: string; reason: string } }[]
      return refusals.find((r) => r.actor === 'mqtt-client:bed-r12' && r.detail.reason.includes(c.topic))
    }, `the refusal of ${c.topic} in the audit trail`)
    expect(last.detail.what).toBe('mqtt publish')
    expect(last.detail.reason).toContain(c.topic)
    await validEventStillRaises()
  })

  it('counts every rejection by code in the metrics', async () => {
    const r = await api(gw.httpPort, kim, '/metrics')
    for (const c of cases) expect(r.body).toContain(`gateway_input_rejected_total{code="${c.code}"}`)
    expect(r.body).toContain('gateway_broker_refused_total{reason="publish.acl"}')
  })

  it('refuses a wrong password at CONNECT (CONNACK 4) and keeps serving', async () => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`, { username: 'sz-r14', password: 'wrong', clientId: 'intruder', reconnectPeriod: 0 })
    const err = await new Promise<Error & { code?: number }>((resolve) => client.once('error', resolve))
    expect(err.code).toBe(4)
    client.end(true)
    await validEventStillRaises()
  })

  it('refuses an empty client id with a persistent session (CONNACK 2), as MQTT 3.1.1 requires', async () => {
    // MQTT.js will not even send this CONNECT, so build it by hand: [MQTT-3.1.3-8].
    const str = (s: string) => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)])
    const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc0, 0, 60]), str(''), str('sz-r14'), str(gw.credentials.devices['sz-r14']!)])
    const sock = tcpConnect(gw.mqttPort, '127.0.0.1')
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()))
    sock.write(Buffer.concat([Buffer.from([0x10, body.length]), body]))
    const reply = await new Promise<Buffer>((resolve) => sock.once('data', resolve))
    expect(reply.subarray(0, 4).toString('hex')).toBe('20020002')
    sock.destroy()
  })

  it('survives garbage bytes on the MQTT port', async () => {
    const sock = tcpConnect(gw.mqttPort, '127.0.0.1')
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()))
    sock.write(Buffer.from('ffffffff0000deadbeef474554202f20485454502f312e310d0a0d0a', 'hex'))
    await new Promise<void>((resolve) => sock.once('close', () => resolve()))
    await validEventStillRaises()
  })

  it('answers hostile HTTP calls with precise errors', async () => {
    expect((await api(gw.httpPort, kim, '/api/alerts?limit=99999')).body.error.code).toBe('GW_ERR_API_BAD_REQUEST')
    expect((await api(gw.httpPort, kim, '/api/alerts?state=bogus')).status).toBe(400)
    expect((await api(gw.httpPort, kim, '/api/nothing-here')).status).toBe(404)
    expect((await api(gw.httpPort, kim, '/api/alerts/nope/accept', { method: 'POST', body: '{bad json' })).body.error.code).toBe('GW_ERR_API_BAD_REQUEST')
    expect((await api(gw.httpPort, kim, '/api/alerts/al-unknown/accept', { method: 'POST', body: {} })).body.error.code).toBe('GW_ERR_ALERT_NOT_FOUND')
    expect((await api(gw.httpPort, kim, '/api/alerts', { method: 'DELETE' })).status).toBe(405)
    await validEventStillRaises()
  })
})
