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
describe('an alarm while another process holds the write lock', () => {
  const over = pipelineOverStore()
  let other: Database.Database | null = null
  afterEach(() => {
    vi.useRealTimers()
    if (other?.inTransaction) other.exec('ROLLBACK')
    other?.close()
    other = null
  })

  it('is paged from its dry run while the lock is held, then committed exactly once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] })
    const site = 'oak-house'
    const config = {
      sites: [{ id: site }],
      people: [
        { id: 'p-1', site, room_code: 'R1', carers: ['c-amy'], rules: [{ id: 'seizure', kind: 'immediate', on: 'seizure_alarm', priority: 'high', alert_class: 'SEIZURE', device: 'sz-1' }] },
        { id: 'p-2', site, room_code: 'R2', carers: ['c-amy'], rules: [{ id: 'moving', kind: 'immediate', on: 'motion', priority: 'low', alert_class: 'MOVEMENT', device: 'pir-2' }] },
      ],
      devices: [{ id: 'sz-1', type: 'seizure-monitor', site, person: 'p-1' }, { id: 'pir-2', type: 'pir-motion', site, person: 'p-2' }],
      users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }],
      pagers: [{ id: 'soft-amy', user: 'c-amy', protocol: 'soft' }],
    }
    const unstored: PlannedPage[][] = []
    const paged: string[] = []
    const { pipeline, db } = over(config, {
      hooks: { pageWhileLockedAfterMs: 500, onUnstored: (fx) => void unstored.push(fx.pages) },
      onCommitted: (fx) => { for (const p of fx.pages) paged.push(`${p.alert.alertClass} ${p.notification.userId}`) },
    })
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get()
    let n = 0
    const event = (device: string, type: string): RawMessage => ({
      transport: 'mqtt', topic: `care/${site}/device/${device}/event`, principal: device, clientId: device, receivedAt: Date.now(),
      payload: Buffer.from(JSON.stringify({ event_id: `e-${n++}`, type, at: new Date().toISOString() })),
    })
    other = new Database(join(db.name, '..', 'gateway.db'))
    other.exec('BEGIN IMMEDIATE')
    const outcomes = Promise.all([pipeline.ingest(event('pir-2', 'motion')), pipeline.ingest(event('sz-1', 'seizure_alarm'))])
    await vi.advanceTimersByTimeAsync(400)
    expect(unstored).toEqual([])
    await vi.advanceTimersByTimeAsync(300)
    // The seizure's page only (the low-priority motion is not an alarm that pages first), with nothing written.
    expect(unstored).toHaveLength(1)
    expect(unstored[0]!.map((p) => [p.alert.alertClass, p.alert.personId, p.notification.userId, p.notification.protocol, p.notification.text.slice(0, 10)])).toEqual([['SEIZURE', 'p-1', 'c-amy', 'soft', 'R1 SEIZURE']])
    expect([count('journal'), count('alerts'), count('notifications'), count('audit')]).toEqual([0, 0, 0, 0])
    other.exec('COMMIT')
    await vi.advanceTimersByTimeAsync(200)
    expect((await outcomes).map((o) => o.status)).toEqual(['accepted', 'accepted'])
    expect(db.prepare("SELECT count(*) FROM journal WHERE device_id = 'sz-1'").pluck().get()).toBe(1)
    expect(db.prepare("SELECT alert_class FROM alerts ORDER BY alert_class").pluck().all()).toEqual(['MOVEMENT', 'SEIZURE'])
    expect(paged.filter((p) => p.startsWith('SEIZURE'))).toEqual(['SEIZURE c-amy'])
    expect(unstored).toHaveLength(1)
  })
})
