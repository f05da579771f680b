import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { RawMessage } from './core/event.js'
import type { PlannedPage } from './core/effects.js'
import { pipelineOverStore } from '../../test/helpers/pipeline-over-store.js'

/**
 * Through the real pipeline and store, with another connection holding the write lock (an operator's sqlite3 shell left
 * in a transaction): a seizure alarm is worked out without writing and its page handed to the unstored routing once
 * the lock has been held for `pageWhileLockedAfterMs`; routine events are not; nothing is written until the lock is
 * released, and then the alarm is committed once, raised and paged as usual.
 */
describe('alarms while another process holds the write lock', () => {
  const over = pipelineOverStore()
  let other: Database.Database | null = null
  afterEach(() => {
    vi.useRealTimers()
    if (other?.inTransaction) other.exec('ROLLBACK')
    other?.close()
    other = null
  })

  const site = 'oak-house'
  const seizure = { id: 'seizure', kind: 'immediate', on: 'seizure_alarm', priority: 'high', alert_class: 'SEIZURE', device: 'sz-1' }
  const config = (rules: unknown[] = [seizure]) => ({
    sites: [{ id: site }],
    people: [
      { id: 'p-1', site, room_code: 'R1', carers: ['c-amy'], rules },
      { id: 'p-2', site, room_code: 'R2', carers: ['c-amy'], rules: [{ id: 'moving', kind: 'immediate', on: 'motion', priority: 'low', alert_class: 'MOVEMENT', device: 'pir-2' }] },
    ],
    devices: [{ id: 'sz-1', type: 'seizure-monitor', site, person: 'p-1' }, { id: 'pir-2', type: 'pir-motion', site, person: 'p-2' }],
    users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }, { id: 'tl-kim', role: 'team_leader', display_name: 'Kim' }],
    pagers: [{ id: 'soft-amy', user: 'c-amy', protocol: 'soft' }, { id: 'soft-kim', user: 'tl-kim', protocol: 'soft' }],
  })
  function setUp(rules?: unknown[]) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] })
    const unstored: PlannedPage[][] = []
    const paged: string[] = []
    const got = over(config(rules), {
      hooks: { pageWhileLockedAfterMs: 500, onUnstored: (fx) => void unstored.push(fx.pages) },
      onCommitted: (fx) => { for (const p of fx.pages) paged.push(`${p.alert.alertClass} ${p.notification.userId}`) },
    })
    const count = (table: string) => got.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get()
    let n = 0
    const event = (device: string, type: string): RawMessage => ({
      transport: 'mqtt', topic: `care/${site}/device/${device}/event`, principal: device, clientId: device, receivedAt: Date.now(),
      payload: Buffer.from(JSON.stringify({ event_id: `e-${n++}`, type, at: new Date().toISOString() })),
    })
    const lock = () => {
      other = new Database(join(got.db.name, '..', 'gateway.db'))
      other.exec('BEGIN IMMEDIATE')
    }
    return { ...got, unstored, paged, count, event, lock }
  }

  it('is paged from its dry run while the lock is held, then committed exactly once', async () => {
    const { pipeline, db, unstored, paged, count, event, lock } = setUp()
    lock()
    const outcomes = Promise.all([pipeline.ingest(event('pir-2', 'motion')), pipeline.ingest(event('sz-1', 'seizure_alarm'))])
    await vi.advanceTimersByTimeAsync(400)
    expect(unstored).toEqual([])
    await vi.advanceTimersByTimeAsync(300)
    // The seizure's page only (the low-priority motion is not an alarm that pages first), with nothing written.
    expect(unstored).toHaveLength(1)
    expect(unstored[0]!.map((p) => [p.alert.alertClass, p.alert.personId, p.notification.userId, p.notification.protocol, p.notification.text.slice(0, 10)])).toEqual([['SEIZURE', 'p-1', 'c-amy', 'soft', 'R1 SEIZURE']])
    expect([count('journal'), count('alerts'), count('notifications'), count('audit')]).toEqual([0, 0, 0, 0])
    other!.exec('COMMIT')
    await vi.advanceTimersByTimeAsync(200)
    expect((await outcomes).map((o) => o.status)).toEqual(['accepted', 'accepted'])
    expect(db.prepare("SELECT count(*) FROM journal WHERE device_id = 'sz-1'").pluck().get()).toBe(1)
    expect(db.prepare('SELECT alert_class FROM alerts ORDER BY alert_class').pluck().all()).toEqual(['MOVEMENT', 'SEIZURE'])
    expect(paged.filter((p) => p.startsWith('SEIZURE'))).toEqual(['SEIZURE c-amy'])
    expect(unstored).toHaveLength(1)
  })

  it('a nurse-call panel\'s alarm (not MQTT) is paged from its dry run too', async () => {
    const { pipeline, unstored, count, lock } = setUp()
    lock()
    const done = pipeline.ingestEvent({ siteId: site, deviceId: 'sz-1', eventId: 'panel-1', type: 'seizure_alarm', deviceAt: Date.now(), receivedAt: Date.now() })
    await vi.advanceTimersByTimeAsync(700)
    expect(unstored.flat().map((p) => `${p.alert.alertClass} ${p.notification.userId}`)).toEqual(['SEIZURE c-amy'])
    expect(count('journal')).toBe(0)
    other!.exec('COMMIT')
    await vi.advanceTimersByTimeAsync(200)
    expect((await done).status).toBe('accepted')
  })

  it('a ladder step falling due during the lock is paged from a dry run of the deadlines', async () => {
    const { pipeline, db, unstored, lock, event } = setUp()
    const raised = pipeline.ingest(event('sz-1', 'seizure_alarm'))
    await vi.advanceTimersByTimeAsync(10)
    await raised
    lock()
    // Nobody accepted within the first step's 60 s: the deadlines fire while the lock is held.
    await vi.advanceTimersByTimeAsync(60_000)
    const fired = pipeline.fireDueTimers(Date.now())
    await vi.advanceTimersByTimeAsync(700)
    expect(unstored.flat().map((p) => `${p.alert.alertClass} ${p.notification.userId}`).sort()).toEqual(['SEIZURE c-amy', 'SEIZURE tl-kim'])
    expect(db.prepare('SELECT escalation_step FROM alerts').pluck().get()).toBe(0)
    other!.exec('COMMIT')
    await vi.advanceTimersByTimeAsync(200)
    expect(await fired).toBe(1)
    expect(db.prepare('SELECT state, escalation_step FROM alerts').raw().get()).toEqual(['escalated', 1])
  })

  it('STORAGE FAILING for a lock is worked out for every site without writing, never stored', () => {
    const { pipeline, count } = setUp()
    const fx = pipeline.storageLockedPages([site], 'database is locked by another process (for 600 ms)', Date.now())
    expect(fx.pages.map((p) => [p.alert.alertClass, p.alert.siteId, p.alert.priority])).toContainEqual(['STORAGE FAILING', site, 'high'])
    expect(fx.pages[0]!.alert.id).toMatch(/^al-/)
    expect([count('alerts'), count('audit'), count('notifications')]).toEqual([0, 0, 0])
  })
})
