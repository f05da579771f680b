import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Effects } from '../core/effects.js'
import { type Db, openDatabase } from './db.js'
import { GroupCommitter } from './group-commit.js'
import { createRepositories } from './index.js'

/**
 * Urgent work (an alarm) commits in a transaction of its own before the rest of the turn's work runs, and its effects
 * go out first (issue 9: alert latency under load); work about the same person keeps its order.
 */
let dir: string
let db: Db
let reader: Database.Database
let log: string[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-lanes-'))
  db = openDatabase(join(dir, 'gateway.db'))
  reader = new Database(join(dir, 'gateway.db'), { readonly: true })
  log = []
})

afterEach(() => {
  reader.close()
  if (db.open) db.close()
  rmSync(dir, { recursive: true, force: true })
})

const committedActors = () => reader.prepare('SELECT actor FROM audit ORDER BY seq').pluck().all() as string[]
/** An item that records when it ran, writes one row and marks its effects with its name. */
const item = (name: string) => (fx: Effects) => {
  log.push(`run ${name}`)
  createRepositories(db).audit.append({ at: 1, kind: 'gateway.started', actor: name, detail: {} })
  fx.alertsChanged.add(name)
  return name
}
const committer = () => new GroupCommitter(db, (fx) => log.push(`committed ${[...fx.alertsChanged].join(',')}: on disk ${committedActors().join(',')}`))

describe('GroupCommitter lanes', () => {
  it('an alarm submitted after routine work commits first, alone, and its effects go out before the routine work runs', async () => {
    const c = committer()
    const all = [c.submit(item('hb1'), undefined, { key: 'p1' }), c.submit(item('hb2'), undefined, { key: 'p2' }), c.submit(item('alarm'), undefined, { key: 'p3', urgent: true })]
    expect(await Promise.all(all)).toEqual(['hb1', 'hb2', 'alarm'])
    expect(log).toEqual(['run alarm', 'committed alarm: on disk alarm', 'run hb1', 'run hb2', 'committed hb1,hb2: on disk alarm,hb1,hb2'])
  })

  it('an alarm about a person with routine work still waiting stays behind it, in the same group', async () => {
    const c = committer()
    await Promise.all([c.submit(item('hb1'), undefined, { key: 'p1' }), c.submit(item('alarm'), undefined, { key: 'p1', urgent: true })])
    expect(log).toEqual(['run hb1', 'run alarm', 'committed hb1,alarm: on disk hb1,alarm'])
  })

  it('without lanes nothing changes: one group in arrival order', async () => {
    const c = committer()
    await Promise.all([c.submit(item('a')), c.submit(item('b'), undefined, { key: 'p1' })])
    expect(log).toEqual(['run a', 'run b', 'committed a,b: on disk a,b'])
  })

  it('while another process holds the write lock both lanes wait; once it lets go the alarm still commits first', async () => {
    const other = new Database(join(dir, 'gateway.db'))
    other.exec('BEGIN IMMEDIATE')
    const c = committer()
    const first = c.submit(item('hb1'), undefined, { key: 'p1' })
    await new Promise((r) => setTimeout(r, 20))
    expect(log).toEqual([])
    const later = [c.submit(item('alarm'), undefined, { key: 'p2', urgent: true }), c.submit(item('alarm-p1'), undefined, { key: 'p1', urgent: true })]
    expect(c.backlog).toBe(3)
    other.exec('COMMIT')
    await Promise.all([first, ...later])
    // p1's alarm may not pass p1's heartbeat, which was waiting for the lock before it.
    expect(log).toEqual(['run alarm', 'committed alarm: on disk alarm', 'run hb1', 'run alarm-p1', 'committed hb1,alarm-p1: on disk alarm,hb1,alarm-p1'])
    other.close()
  })

  it('the lock taken by another process between the two transactions: the alarm is settled once, the rest waits', async () => {
    const other = new Database(join(dir, 'gateway.db'))
    const c = new GroupCommitter(db, (fx) => {
      log.push(`committed ${[...fx.alertsChanged].join(',')}`)
      if (fx.alertsChanged.has('alarm')) other.exec('BEGIN IMMEDIATE')
    })
    let alarmSettled = 0
    const alarm = c.submit(item('alarm'), undefined, { key: 'p2', urgent: true }).then((v) => (alarmSettled++, v))
    const hb = c.submit(item('hb'), undefined, { key: 'p1' })
    await alarm
    await new Promise((r) => setTimeout(r, 30))
    expect(log).toEqual(['run alarm', 'committed alarm'])
    other.exec('COMMIT')
    expect(await hb).toBe('hb')
    expect(log).toEqual(['run alarm', 'committed alarm', 'run hb', 'committed hb'])
    expect(alarmSettled).toBe(1)
    other.close()
  })

  it('when the alarm group\'s effects throw, the rest (already taken) is still committed and settled', async () => {
    const c = new GroupCommitter(db, (fx) => {
      if (fx.alertsChanged.has('alarm')) throw new Error('a bug in the screens')
    })
    const thrown: unknown[] = []
    const onThrow = (e: unknown) => thrown.push(e)
    process.prependListener('uncaughtException', onThrow)
    try {
      const hb = c.submit(item('hb'), undefined, { key: 'p1' })
      const alarm = c.submit(item('alarm'), undefined, { key: 'p2', urgent: true })
      expect(await Promise.all([hb, alarm])).toEqual(['hb', 'alarm'])
      expect(committedActors()).toEqual(['alarm', 'hb'])
    } finally {
      process.removeListener('uncaughtException', onThrow)
    }
    expect(thrown.map((e) => (e as Error).message)).toEqual(['a bug in the screens'])
  })

  it('work submitted by the alarm group\'s effects, then the lock: one retry is pending, not two', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] })
    const other = new Database(join(dir, 'gateway.db'))
    try {
      const c: GroupCommitter = new GroupCommitter(db, (fx) => {
        if (!fx.alertsChanged.has('alarm')) return
        void c.submit(() => 'outage row') // as unstored routing records an outage from its hook
        other.exec('BEGIN IMMEDIATE')
      })
      void c.submit(item('alarm'), undefined, { key: 'p2', urgent: true })
      void c.submit(item('hb'), undefined, { key: 'p1' })
      vi.advanceTimersToNextTimer() // the flush: the alarm commits, its hook submits and takes the lock; the rest is locked
      expect(log).toEqual(['run alarm'])
      expect(c.backlog).toBe(2)
      expect(vi.getTimerCount()).toBe(1)
      other.exec('ROLLBACK')
    } finally {
      other.close()
      vi.useRealTimers()
    }
  })
})
