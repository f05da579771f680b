import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Alert, Notification } from '../core/alert.js'
import type { Effects } from '../core/effects.js'
import { type Db, openDatabase } from './db.js'
import { GroupCommitter } from './group-commit.js'
import { createRepositories } from './index.js'

/**
 * Another process holds the write lock (a sqlite3 shell left in a transaction): after `pageWhileLockedAfterMs`, waiting
 * work that has a `whileLocked` run (an alarm) is worked out without writing, once, and what it would page goes to
 * `onUnstored`, while the work itself waits and commits once the lock is released. A real second connection holds the
 * lock; the committer's retry timers and clock are faked, so the test steps through them without sleeping.
 */
let dir: string
let db: Db
let other: Database.Database
let log: string[]
let unstored: { pages: string[]; code: unknown; message: string }[]

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] })
  dir = mkdtempSync(join(tmpdir(), 'gw-locked-'))
  db = openDatabase(join(dir, 'gateway.db'))
  other = new Database(join(dir, 'gateway.db'))
  log = []
  unstored = []
})

afterEach(() => {
  vi.useRealTimers()
  if (other.inTransaction) other.exec('ROLLBACK')
  other.close()
  if (db.open) db.close()
  rmSync(dir, { recursive: true, force: true })
})

const stored = () => other.prepare('SELECT actor FROM audit ORDER BY seq').pluck().all() as string[]
/** Work that writes one row, and (for an alarm) its dry run, which plans one page and writes nothing. */
const work = (name: string) => (_fx: Effects) => {
  log.push(`run ${name}`)
  createRepositories(db).audit.append({ at: 1, kind: 'gateway.started', actor: name, detail: {} })
  return name
}
const dryRun = (name: string) => (fx: Effects) => {
  log.push(`dry ${name}`)
  fx.pages.push({ alert: { id: `al-${name}` } as Alert, notification: { id: `nt-${name}` } as Notification })
}
const committer = (afterMs = 500) => new GroupCommitter(db, () => undefined, undefined, {
  pageWhileLockedAfterMs: afterMs,
  onUnstored: (fx, err) => unstored.push({ pages: fx.pages.map((p) => p.notification.id), code: (err as { code?: unknown }).code, message: (err as Error).message }),
})

describe('GroupCommitter while another process holds the write lock', () => {
  it('pages each waiting alarm once after the threshold, from its dry run, and commits everything when the lock is released', async () => {
    other.exec('BEGIN IMMEDIATE')
    const c = committer()
    const hb = c.submit(work('hb-p1'), undefined, { key: 'p1' })
    // Urgent, but behind p1's heartbeat (same person): it waits in the rest, and is still paged while locked.
    const alarmP1 = c.submit(work('alarm-p1'), undefined, { key: 'p1', urgent: true, whileLocked: dryRun('alarm-p1') })
    const alarmP2 = c.submit(work('alarm-p2'), undefined, { key: 'p2', urgent: true, whileLocked: dryRun('alarm-p2') })
    vi.advanceTimersByTime(400)
    expect(log).toEqual([])
    expect(unstored).toEqual([])
    vi.advanceTimersByTime(200)
    expect(log).toEqual(['dry alarm-p2', 'dry alarm-p1'])
    expect(unstored).toEqual([{ pages: ['nt-alarm-p2', 'nt-alarm-p1'], code: 'SQLITE_BUSY', message: expect.stringMatching(/^database is locked by another process \(for \d+ ms\)$/) }])
    // Many retries later: each alarm was worked out once; an alarm that arrives meanwhile is worked out at the next retry.
    vi.advanceTimersByTime(2000)
    const late = c.submit(work('alarm-p3'), undefined, { key: 'p3', urgent: true, whileLocked: dryRun('alarm-p3') })
    vi.advanceTimersByTime(150)
    expect(log).toEqual(['dry alarm-p2', 'dry alarm-p1', 'dry alarm-p3'])
    expect(unstored.map((u) => u.pages)).toEqual([['nt-alarm-p2', 'nt-alarm-p1'], ['nt-alarm-p3']])
    expect(stored()).toEqual([])
    other.exec('COMMIT')
    vi.advanceTimersByTime(150)
    expect(await Promise.all([hb, alarmP1, alarmP2, late])).toEqual(['hb-p1', 'alarm-p1', 'alarm-p2', 'alarm-p3'])
    expect(stored().sort()).toEqual(['alarm-p1', 'alarm-p2', 'alarm-p3', 'hb-p1'])
    expect(log.filter((l) => l.startsWith('run')).sort()).toEqual(['run alarm-p1', 'run alarm-p2', 'run alarm-p3', 'run hb-p1'])
    expect(unstored).toHaveLength(2)
  })

  it('a lock shorter than the threshold pages nothing twice: the alarm simply commits', async () => {
    other.exec('BEGIN IMMEDIATE')
    const c = committer(500)
    const alarm = c.submit(work('alarm'), undefined, { key: 'p1', urgent: true, whileLocked: dryRun('alarm') })
    vi.advanceTimersByTime(300)
    other.exec('COMMIT')
    vi.advanceTimersByTime(150)
    expect(await alarm).toBe('alarm')
    expect(log).toEqual(['run alarm'])
    expect(unstored).toEqual([])
  })

  it('a dry run that throws is reported and the others are still paged; one that plans no page reaches nobody', async () => {
    const warnings: string[] = []
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation((w) => void warnings.push(String(w)))
    try {
      other.exec('BEGIN IMMEDIATE')
      const c = committer(0)
      const broken = c.submit(work('broken'), undefined, { key: 'p1', whileLocked: () => { throw new Error('a bug in the dry run') } })
      const quiet = c.submit(work('quiet'), undefined, { key: 'p2', whileLocked: () => void log.push('dry quiet') })
      const alarm = c.submit(work('alarm'), undefined, { key: 'p3', whileLocked: dryRun('alarm') })
      vi.advanceTimersByTime(50)
      expect(warnings).toEqual(['whileLocked failed: a bug in the dry run'])
      expect(unstored.map((u) => u.pages)).toEqual([['nt-alarm']])
      other.exec('COMMIT')
      vi.advanceTimersByTime(150)
      expect(await Promise.all([broken, quiet, alarm])).toEqual(['broken', 'quiet', 'alarm'])
    } finally {
      warn.mockRestore()
    }
  })

  it('work without a dry run (routine events) is never run while locked', () => {
    other.exec('BEGIN IMMEDIATE')
    const c = committer(0)
    void c.submit(work('hb'), undefined, { key: 'p1' })
    vi.advanceTimersByTime(1000)
    expect(log).toEqual([])
    expect(unstored).toEqual([])
  })

  it('runs dry runs without SQLite\'s busy wait (a reader blocked by an exclusive lock must not stop the event loop), and marks the refusal as a lock', () => {
    other.exec('BEGIN IMMEDIATE')
    let busyTimeout: unknown = null
    const errors: unknown[] = []
    const c = new GroupCommitter(db, () => undefined, undefined, { pageWhileLockedAfterMs: 0, onUnstored: (_fx, err) => void errors.push(err) })
    void c.submit(work('alarm'), undefined, { key: 'p1', whileLocked: (fx) => {
      busyTimeout = db.pragma('busy_timeout', { simple: true })
      dryRun('alarm')(fx)
    } })
    vi.advanceTimersByTime(50)
    expect(busyTimeout).toBe(0)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
    expect(errors).toEqual([expect.objectContaining({ code: 'SQLITE_BUSY', lockedElsewhere: true })])
  })
})
