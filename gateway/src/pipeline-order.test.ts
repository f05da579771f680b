import { describe, expect, it } from 'vitest'
import type { RawMessage } from './core/event.js'
import { pipelineOverStore } from '../../test/helpers/pipeline-over-store.js'

/**
 * The lost-edge case found by review, through the real pipeline and the real zigbee2mqtt seizure-base decoder: a
 * bridge sends the relay opening (seizure_alarm) and then a report that changes nothing; the alarm's commit fails.
 * The bridge must get no acknowledgement for either, and its resend of the opening must be read as the alarm again.
 */
describe('acknowledgements in order through the pipeline (MQTT 3.1.1 §4.6)', () => {
  const over = pipelineOverStore()

  /** A pipeline over the real store, one zigbee2mqtt seizure base; `fail(k)` makes the k-th transaction from now fail. */
  function setUp() {
    const site = 'oak-house'
    let calls = 0
    let failAt = -1
    const { pipeline, supervisor, db } = over({
      sites: [{ id: site }],
      zigbee2mqtt: [{ id: 'z2m-main', base_topic: 'zigbee2mqtt', site }],
      people: [{ id: 'p-1', site, room_code: 'R1', carers: ['c-amy'], rules: [{ id: 'seizure', kind: 'immediate', on: 'seizure_alarm', priority: 'high', alert_class: 'SEIZURE', device: 'sz-1' }] }],
      devices: [{ id: 'sz-1', type: 'z2m-seizure-base', site, person: 'p-1', z2m: { bridge: 'z2m-main', friendly_name: 'r1/seizure' } }],
      users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }],
      pagers: [{ id: 'soft-amy', user: 'c-amy', protocol: 'soft' }],
    }, {
      // The chosen transaction fails (a full disk, say) a little later, after the next message has been read.
      transact: (committer) => (run, recover) => (calls++ === failAt ? new Promise((_, reject) => setTimeout(() => reject(new Error('SQLITE_FULL: database or disk is full')), 20)) : committer.submit(run, recover)),
    })
    const alarms = () => (db.prepare("SELECT count(*) AS n FROM journal WHERE type = 'seizure_alarm'").get() as { n: number }).n
    const report = (contact: boolean, linkquality: number): RawMessage => ({
      transport: 'mqtt', topic: 'zigbee2mqtt/r1/seizure', principal: 'z2m-main', clientId: 'z2m-main', receivedAt: Date.now(),
      payload: Buffer.from(JSON.stringify({ contact, battery: 100, battery_low: false, tamper: false, linkquality })),
    })
    return { pipeline, supervisor, alarms, report, fail: (k: number) => void (failAt = calls + k) }
  }

  it('a failed alarm is not overtaken by a later report that wrote nothing, and its resend raises the alarm', async () => {
    const { pipeline, alarms, report, fail } = setUp()
    expect((await pipeline.ingest(report(true, 110))).status).toBe('duplicate') // at rest: no event, nothing to journal
    fail(0)
    const opening = pipeline.ingest(report(false, 110))
    const unchanged = pipeline.ingest(report(false, 90))
    const outcomes = await Promise.allSettled([opening, unchanged])
    // Neither is acknowledged: the bridge is dropped and resends both, in order.
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    expect(alarms()).toBe(0)
    expect((await pipeline.ingest(report(false, 110))).status).toBe('accepted')
    expect((await pipeline.ingest(report(false, 90))).status).toBe('duplicate')
    expect(alarms()).toBe(1)
  })

  it('an alarm stored, then recording that its silent device is back fails: acknowledged, not resent as a second alarm', async () => {
    const { pipeline, supervisor, alarms, report, fail } = setUp()
    expect((await pipeline.ingest(report(true, 110))).status).toBe('duplicate')
    supervisor.markSilent('sz-1')
    fail(1) // the alarm's own transaction succeeds; the "restored" row's fails
    expect((await pipeline.ingest(report(false, 110))).status).toBe('accepted')
    expect(alarms()).toBe(1)
    // Still counted as silent, so the device's next message records its return.
    expect(supervisor.health('sz-1').online).toBe(false)
  })
})
