import { describe, expect, it } from 'vitest'
import { createCommands } from './commands.js'
import type { RawMessage } from './core/event.js'
import { pipelineOverStore } from '../../test/helpers/pipeline-over-store.js'
import type { Db } from './store/db.js'
import { setSuppression } from './suppression/suppressions.js'

/**
 * Through the real pipeline and store: an event that a high-priority `immediate` rule raises on (a seizure alarm) is
 * committed, and its alert raised, ahead of routine events read before it in the same turn, unless one of those is
 * about the same person (rules keep state per person, so their events keep their order) or its alert is already open.
 */
describe('alarms ahead of routine events (issue 9: alert latency under load)', () => {
  const over = pipelineOverStore()

  function setUp() {
    const site = 'oak-house'
    const person = (id: string, room: string, rules: unknown[]) => ({ id, site, room_code: room, carers: ['c-amy'], rules })
    const config = {
      sites: [{ id: site }],
      people: [
        person('p-1', 'R1', [{ id: 'seizure', kind: 'immediate', on: 'seizure_alarm', priority: 'high', alert_class: 'SEIZURE', device: 'sz-1' }, { id: 'moving', kind: 'immediate', on: 'motion', priority: 'low', alert_class: 'MOVEMENT', device: 'pir-1' }]),
        person('p-2', 'R2', [{ id: 'moving', kind: 'immediate', on: 'motion', priority: 'low', alert_class: 'MOVEMENT', device: 'pir-2' }]),
        // A medium-priority immediate rule: not an alarm that goes first.
        person('p-3', 'R3', [{ id: 'door', kind: 'immediate', on: 'seizure_alarm', priority: 'medium', alert_class: 'SEIZURE', device: 'sz-3' }]),
        // Switched off: raises nothing, so it pages nobody.
        person('p-4', 'R4', [{ id: 'seizure', kind: 'immediate', on: 'seizure_alarm', priority: 'high', alert_class: 'SEIZURE', device: 'sz-4', disabled: true }]),
      ],
      devices: [
        { id: 'sz-1', type: 'seizure-monitor', site, person: 'p-1' },
        { id: 'pir-1', type: 'pir-motion', site, person: 'p-1' },
        { id: 'pir-2', type: 'pir-motion', site, person: 'p-2' },
        { id: 'sz-3', type: 'seizure-monitor', site, person: 'p-3' },
        { id: 'sz-4', type: 'seizure-monitor', site, person: 'p-4' },
      ],
      users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }, { id: 'tl-bob', role: 'team_leader', display_name: 'Bob' }],
      pagers: [{ id: 'soft-amy', user: 'c-amy', protocol: 'soft' }],
    }
    // What had been committed when each group's effects went out: the alarm's page must not wait for the rest.
    const raisedWhen: string[][] = []
    const journalOf = (db: Db) => db.prepare('SELECT device_id FROM journal ORDER BY seq').pluck().all() as string[]
    const { pipeline, db: d, repos, committer, index } = over(config, { onCommitted: (fx, db) => { if (fx.alertsChanged.size) raisedWhen.push(journalOf(db)) } })
    const journal = () => journalOf(d)
    // As main.ts wires them: commands carry no lane, so they may be about anyone.
    const commands = createCommands({ index, repos, transact: (run, recover) => committer.submit(run, recover), lifecycle: pipeline.lifecycle, suppressionDeps: pipeline.suppressionDeps })
    const decisions = () => d.prepare("SELECT json_extract(detail, '$.outcome') FROM audit WHERE kind = 'rule.decision' AND actor = 'rule:seizure' ORDER BY seq").pluck().all()
    let n = 0
    const event = (device: string, type: string): RawMessage => ({
      transport: 'mqtt', topic: `care/${site}/device/${device}/event`, principal: device, clientId: device, receivedAt: Date.now(),
      payload: Buffer.from(JSON.stringify({ event_id: `e-${n++}`, type, at: new Date().toISOString() })),
    })
    const audited = (kinds: string[]) => d.prepare(`SELECT kind FROM audit WHERE kind IN (${kinds.map(() => '?').join(',')}) ORDER BY seq`).pluck().all(...kinds) as string[]
    return { pipeline, journal, raisedWhen, event, commands, committer, decisions, audited }
  }

  it('a seizure alarm read after other people\'s motion is journaled and raised first', async () => {
    const { pipeline, journal, raisedWhen, event } = setUp()
    await Promise.all([pipeline.ingest(event('pir-2', 'motion')), pipeline.ingest(event('pir-2', 'heartbeat')), pipeline.ingest(event('sz-1', 'seizure_alarm'))])
    expect(journal()).toEqual(['sz-1', 'pir-2', 'pir-2'])
    // The alarm's alert went out when only the alarm was committed (pir-2's motion raised a low-priority alert later).
    expect(raisedWhen[0]).toEqual(['sz-1'])
  })

  it('keeps the order of events about the same person: motion in p-1\'s room, then p-1\'s alarm', async () => {
    const { pipeline, journal, event } = setUp()
    await Promise.all([pipeline.ingest(event('pir-2', 'motion')), pipeline.ingest(event('pir-1', 'motion')), pipeline.ingest(event('sz-1', 'seizure_alarm'))])
    expect(journal()).toEqual(['pir-2', 'pir-1', 'sz-1'])
  })

  it('an alarm whose alert is already open pages nobody and keeps its place', async () => {
    const { pipeline, journal, event } = setUp()
    await pipeline.ingest(event('sz-1', 'seizure_alarm'))
    await Promise.all([pipeline.ingest(event('pir-2', 'heartbeat')), pipeline.ingest(event('sz-1', 'seizure_alarm'))])
    expect(journal()).toEqual(['sz-1', 'pir-2', 'sz-1'])
  })

  it('an alarm read just after a carer ended its person\'s suppression waits for that to commit, and is raised', async () => {
    const { pipeline, commands, committer, decisions, event } = setUp()
    const now = Date.now()
    const s = await committer.submit(() => setSuppression(pipeline.suppressionDeps, { kind: 'away', scope: 'person', target: 'p-1', reason: 'home visit', setBy: 'user:tl-bob', expiresAt: now + 3_600_000, personId: 'p-1', deviceId: null }, now))
    await Promise.all([commands.unsuppress('tl-bob', s.id, Date.now()), pipeline.ingest(event('sz-1', 'seizure_alarm'))])
    expect(decisions()).toEqual(['raise'])
  })

  it('an audit row about nobody\'s rules (a rejected message) read before the alarm does not hold it back', async () => {
    const { pipeline, event, audited } = setUp()
    const garbage: RawMessage = { ...event('pir-2', 'motion'), payload: Buffer.from('{"type":') }
    const [rejected] = await Promise.all([pipeline.ingest(garbage), pipeline.ingest(event('sz-1', 'seizure_alarm'))])
    expect(rejected.status).toBe('rejected')
    // Every row of the alarm's alert first, the rejection's row after them.
    const kinds = audited(['input.rejected', 'alert.transition'])
    expect(kinds.indexOf('input.rejected')).toBe(kinds.length - 1)
    expect(kinds.length).toBeGreaterThan(1)
  })

  it('a disabled high-priority rule pages nobody: its device\'s alarm keeps its place', async () => {
    const { pipeline, journal, event } = setUp()
    await Promise.all([pipeline.ingest(event('pir-2', 'heartbeat')), pipeline.ingest(event('sz-4', 'seizure_alarm'))])
    expect(journal()).toEqual(['pir-2', 'sz-4'])
  })

  it('only high-priority immediate rules go first: a medium-priority one keeps its place', async () => {
    const { pipeline, journal, event } = setUp()
    await Promise.all([pipeline.ingest(event('pir-2', 'heartbeat')), pipeline.ingest(event('sz-3', 'seizure_alarm'))])
    expect(journal()).toEqual(['pir-2', 'sz-3'])
  })
})
