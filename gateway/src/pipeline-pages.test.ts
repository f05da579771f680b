import { pino } from 'pino'
import type { Effects } from './core/effects.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCommands } from './commands.js'
import type { PagerDriver } from './core/pager.js'
import type { RawMessage } from './core/event.js'
import { pipelineOverStore } from '../../test/helpers/pipeline-over-store.js'
import { createDispatcher } from './routing/dispatcher.js'

/**
 * Through the real pipeline, lifecycle and store: three ways an alarm used to go unpaged, or to page without end,
 * found by an independent review (lifecycle/alert-service.ts, lifecycle/transitions.ts).
 */
const site = 'oak-house'
const base = {
  sites: [{ id: site }],
  people: [{ id: 'p-2', site, room_code: 'R14', carers: ['c-amy', 'c-bob'], rules: [{ id: 'seizure', kind: 'immediate', device: 'sz-r14', on: 'seizure_alarm', clears: 'seizure_cleared', priority: 'high', alert_class: 'SEIZURE' }] }],
  devices: [{ id: 'sz-r14', type: 'seizure-monitor', site, person: 'p-2' }],
  users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }, { id: 'c-bob', role: 'carer', display_name: 'Bob' }, { id: 'tl-kim', role: 'team_leader', display_name: 'Kim' }],
  pagers: [{ id: 'soft-amy', user: 'c-amy', protocol: 'soft' }, { id: 'soft-bob', user: 'c-bob', protocol: 'soft' }],
}
const espa = (over: Record<string, unknown> = {}) => ({ ...base, lines: [{ id: 'l1', protocol: 'espa', site, alert_priority: 'high', port: 'tcp://127.0.0.1:1' }], ...over })

describe('pages that were lost, or never ended', () => {
  const over = pipelineOverStore()
  afterEach(() => vi.useRealTimers())

  function setUp(config: Record<string, unknown>, onCommitted?: (fx: Effects) => void) {
    const got = over(config, onCommitted ? { onCommitted } : {})
    const commands = createCommands({ index: got.index, repos: got.repos, transact: (run, recover) => got.committer.submit(run, recover), lifecycle: got.pipeline.lifecycle, suppressionDeps: got.pipeline.suppressionDeps })
    let n = 0
    const event = (type: string, at: number): RawMessage => ({ transport: 'mqtt', topic: `care/${site}/device/sz-r14/event`, principal: 'sz-r14', clientId: 'sz-r14', receivedAt: at, payload: Buffer.from(JSON.stringify({ event_id: `e-${n++}`, type, at: new Date(at).toISOString() })) })
    const alerts = () => got.db.prepare('SELECT id, state, trigger_count FROM alerts ORDER BY raised_at').all() as { id: string; state: string; trigger_count: number }[]
    const pagesOf = (alertId: string) => got.db.prepare('SELECT pager_id FROM notifications WHERE alert_id = ? ORDER BY created_at, pager_id').pluck().all(alertId)
    return { ...got, commands, event, alerts, pagesOf }
  }

  it('a second seizure, hours after the first was accepted from a pager and stopped, is a new alert and is paged', async () => {
    const { pipeline, commands, event, alerts, pagesOf } = setUp(base)
    const t0 = Date.now()
    await pipeline.ingest(event('seizure_alarm', t0))
    const [first] = alerts()
    // A two-way pager can accept but not close.
    await commands.accept(first!.id, 'c-amy', 'pager_status', t0 + 30_000)
    await pipeline.ingest(event('seizure_cleared', t0 + 120_000))
    expect(alerts()).toEqual([{ id: first!.id, state: 'acknowledged', trigger_count: 1 }])
    await pipeline.ingest(event('seizure_alarm', t0 + 2 * 3_600_000))
    const [, second] = alerts()
    expect(second).toMatchObject({ state: 'active', trigger_count: 1 })
    expect(pagesOf(second!.id)).toEqual(['soft-amy', 'soft-bob'])
  })

  it('a repeat trigger while the accepted seizure is still going folds into it, as before (no new page)', async () => {
    const { pipeline, commands, event, alerts } = setUp(base)
    const t0 = Date.now()
    await pipeline.ingest(event('seizure_alarm', t0))
    await commands.accept(alerts()[0]!.id, 'c-amy', 'soft_pager', t0 + 10_000)
    await pipeline.ingest(event('seizure_alarm', t0 + 20_000))
    expect(alerts()).toEqual([expect.objectContaining({ state: 'acknowledged', trigger_count: 2 })])
  })

  it('every route failing at once (the paging line cut) moves the ladder once per step, then waits for the deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] })
    const cfg = espa({ pagers: [{ id: 'espa-amy', user: 'c-amy', protocol: 'espa', line: 'l1', address: '1234' }, { id: 'espa-bob', user: 'c-bob', protocol: 'espa', line: 'l1', address: '1235' }] })
    let dispatcher: ReturnType<typeof createDispatcher> | null = null
    const { pipeline, commands, repos, event, db } = setUp(cfg, (fx) => { if (fx.notificationsToSend.length) dispatcher?.dispatch(fx.notificationsToSend) })
    // As the ESPA driver answers while its line is down: at once, not retryable.
    const down: PagerDriver = { send: async () => ({ ok: false, retryable: false, error: 'line l1 is down' }), health: () => 'down', close: async () => undefined } as unknown as PagerDriver
    dispatcher = createDispatcher({ driverFor: () => down, addressOf: () => '1234', loadNotification: (id) => repos.notifications.get(id), notificationsFor: (a) => repos.notifications.forAlert(a), loadAlert: (id) => repos.alerts.get(id),
      report: (id, ev, detail) => commands.report(id, ev, Date.now(), detail), log: pino({ level: 'silent' }) })
    const ingested = pipeline.ingest(event('seizure_alarm', Date.now()))
    await vi.advanceTimersByTimeAsync(2000)
    await ingested
    dispatcher.stop()
    // The default ladder: step 1 (assigned) failed, moved to step 2 (all, the last), which failed and waits.
    // Four pages in all (before: hundreds a second, without end). Bob's first page was superseded by step 2 before its
    // own failure came back, so only Amy's moved the ladder.
    expect(db.prepare('SELECT pager_id, attempt, state FROM notifications ORDER BY attempt, pager_id').raw().all()).toEqual([['espa-amy', 1, 'failed'], ['espa-bob', 1, 'expired'], ['espa-amy', 2, 'failed'], ['espa-bob', 2, 'failed']])
    expect(db.prepare("SELECT count(*) FROM audit WHERE kind = 'alert.transition' AND json_extract(detail, '$.event') = 'escalate'").pluck().get()).toBe(1)
    expect(db.prepare('SELECT state, escalation_step FROM alerts').raw().all()).toEqual([['escalated', 1]])
  })

  it('an ESPA page reported paged (7=3), then absent (7=4), fails over to the carer\'s fallback pager at once', async () => {
    const cfg = espa({ pagers: [{ id: 'espa-amy', user: 'c-amy', protocol: 'espa', line: 'l1', address: '1234', fallback: 'soft-amy' }, { id: 'soft-amy', user: 'c-amy', protocol: 'soft' }, { id: 'soft-bob', user: 'c-bob', protocol: 'soft' }] })
    const { pipeline, commands, db, event } = setUp(cfg)
    const t0 = Date.now()
    await pipeline.ingest(event('seizure_alarm', t0))
    const page = db.prepare("SELECT id FROM notifications WHERE pager_id = 'espa-amy'").pluck().get() as string
    await commands.report(page, 'send', t0 + 100)
    await commands.pagerReport(page, 'deliver', { espa_status: '3' }, t0 + 200)
    await commands.pagerReport(page, 'fail', { espa_status: '4', meaning: 'absent' }, t0 + 5000)
    expect(db.prepare("SELECT pager_id, state FROM notifications WHERE user_id = 'c-amy' ORDER BY created_at").raw().all()).toEqual([['espa-amy', 'failed'], ['soft-amy', 'queued']])
    expect(db.prepare("SELECT count(*) FROM audit WHERE kind = 'command.refused'").pluck().get()).toBe(0)
  })

  it('a sustained seizure whose stop was lost, accepted from a pager: the next seizure hours later is a new alert and is paged', async () => {
    const sustained = { id: 'seizure', kind: 'sustained', device: 'sz-r14', start: 'seizure_alarm', stop: 'seizure_cleared', min_duration_s: 10, priority: 'high', alert_class: 'SEIZURE' }
    const { pipeline, commands, event, alerts, pagesOf } = setUp({ ...base, people: [{ ...base.people[0]!, rules: [sustained] }] })
    const t0 = Date.now()
    await pipeline.ingest(event('seizure_alarm', t0))
    await pipeline.fireDueTimers(t0 + 10_000)
    const [first] = alerts()
    await commands.accept(first!.id, 'c-amy', 'pager_status', t0 + 30_000)
    // The monitor's seizure_cleared never arrives (a lost radio frame). Two hours later, another seizure.
    await pipeline.ingest(event('seizure_alarm', t0 + 2 * 3_600_000))
    await pipeline.fireDueTimers(t0 + 2 * 3_600_000 + 10_000)
    const [was, second] = alerts()
    expect(was).toMatchObject({ id: first!.id, state: 'acknowledged' })
    expect(second).toMatchObject({ state: 'active', trigger_count: 1 })
    expect(pagesOf(second!.id)).toEqual(['soft-amy', 'soft-bob'])
  })
})
