import { describe, expect, it } from 'vitest'
import type { RawMessage } from './core/event.js'
import { pipelineOverStore } from '../../test/helpers/pipeline-over-store.js'

/**
 * Through the real pipeline and store: a carer presses the presence button in the room, forgets "leaving" and goes.
 * Twenty minutes later, inside the 30-minute presence timeout, a seizure is still paged (carer presence never holds
 * back a high-priority rule), while a bed exit (medium) is held back by it as before.
 */
describe('a forgotten presence button and the alarms after it', () => {
  const over = pipelineOverStore()
  const site = 'oak-house'
  const config = {
    sites: [{ id: site }],
    people: [{
      id: 'p-2', site, room_code: 'R14', carers: ['c-amy'],
      rules: [
        { id: 'seizure', kind: 'immediate', device: 'sz-r14', on: 'seizure_alarm', clears: 'seizure_cleared', priority: 'high', alert_class: 'SEIZURE' },
        { id: 'bed-exit', kind: 'bed_exit', device: 'bed-r14', delay_s: 60, priority: 'medium', alert_class: 'BED EXIT' },
      ],
    }],
    devices: [
      { id: 'sz-r14', type: 'seizure-monitor', site, person: 'p-2' },
      { id: 'bed-r14', type: 'bed-monitor', site, person: 'p-2' },
      { id: 'btn-r14', type: 'presence-button', site, person: 'p-2' },
    ],
    users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }],
    pagers: [{ id: 'soft-amy', user: 'c-amy', protocol: 'soft' }],
  }

  function setUp() {
    const { pipeline, db } = over(config)
    let n = 0
    const event = (device: string, type: string, at: number): RawMessage => ({
      transport: 'mqtt', topic: `care/${site}/device/${device}/event`, principal: device, clientId: device, receivedAt: at,
      payload: Buffer.from(JSON.stringify({ event_id: `e-${n++}`, type, at: new Date(at).toISOString() })),
    })
    const count = (table: 'alerts' | 'notifications') => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number
    const decisions = (rule: string) => db.prepare("SELECT json_extract(detail, '$.outcome') AS outcome, json_extract(detail, '$.reason') AS reason FROM audit WHERE kind = 'rule.decision' AND actor = ? ORDER BY seq").all(`rule:${rule}`) as { outcome: string; reason: string }[]
    return { pipeline, event, count, decisions }
  }

  const t0 = Date.now()
  const until = new Date(t0 + 1_800_000).toISOString().slice(11, 19) + 'Z'

  it('a seizure 20 min after the button is raised and paged, and its decision says the carer-present suppression was not applied', async () => {
    const { pipeline, event, count, decisions } = setUp()
    await pipeline.ingest(event('btn-r14', 'carer_present', t0))
    await pipeline.ingest(event('sz-r14', 'seizure_alarm', t0 + 20 * 60_000))
    expect(count('alerts')).toBe(1)
    expect(count('notifications')).toBeGreaterThanOrEqual(1)
    expect(decisions('seizure')).toEqual([{
      outcome: 'raise',
      reason: `seizure_alarm received: immediate alert; not suppressed although a carer is recorded present (set by device:btn-r14, until ${until}): a carer-present suppression never holds back a high-priority rule`,
    }])
  })

  it('a bed exit 20 min after the button (medium priority) is still held back by the carer\'s presence', async () => {
    const { pipeline, event, count, decisions } = setUp()
    await pipeline.ingest(event('btn-r14', 'carer_present', t0))
    await pipeline.ingest(event('bed-r14', 'out_of_bed', t0 + 20 * 60_000))
    await pipeline.fireDueTimers(t0 + 21 * 60_000)
    expect(decisions('bed-exit').map((d) => d.outcome)).toEqual(['pending', 'suppress'])
    // The audit row keeps the explanation with the suppression's free-text reason cut out (privacy/personal-fields.ts).
    expect(decisions('bed-exit')[1]?.reason).toMatch(new RegExp(`^suppressed: carer present \\(…; set by device:btn-r14, until ${until}\\): not back in bed within 60 s`))
    expect([count('alerts'), count('notifications')]).toEqual([0, 0])
  })
})
