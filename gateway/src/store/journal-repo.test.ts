import fc from 'fast-check'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from './db.js'
import { createJournalRepo, type JournalRepo } from './journal-repo.js'
import type { SettleRun } from './journal-settle.js'
import { createSubjectRepo } from './subject-repo.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function dbFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-journal-'))
  dirs.push(dir)
  return join(dir, 'gateway.db')
}

const event = (deviceId: string, eventId: string) => ({ siteId: 's1', deviceId, eventId, type: 'motion', deviceAt: 1, receivedAt: 2 })
/** A settle run taken to its end, each step in a transaction of its own as the committer runs them. */
function settleAll(db: Db, run: SettleRun): void {
  while (!db.transaction(() => run.step())());
  run.finish()
}
const throughSeq = (db: Db) => db.prepare('SELECT through_seq FROM journal_settled').pluck().get()
const rowsFor = (db: Db, deviceId: string, eventId: string) => db.prepare('SELECT count(*) FROM journal WHERE device_id = ? AND event_id = ?').pluck().get(deviceId, eventId)

describe('the journal\'s idempotency key (device_id, event_id), held in memory then settled (migration 009)', () => {
  it('refuses a repeat while its key is held in memory, after it is settled, and after the store is reopened', () => {
    const file = dbFile()
    let db = openDatabase(file)
    let repo = createJournalRepo(db)
    const first = repo.insert(event('pir-1', 'e1'), 'processed')!
    repo.insert(event('pir-2', 'e1'), 'processed')
    expect(repo.insert(event('pir-1', 'e1'), 'processed')).toBeNull()
    expect(repo.findSeq('pir-1', 'e1')).toBe(first)
    expect(repo.settle.held).toBe(2)

    settleAll(db, repo.settle.begin()!)
    expect(repo.settle.held).toBe(0)
    expect(throughSeq(db)).toBe(first + 1)
    expect(repo.insert(event('pir-1', 'e1'), 'failed')).toBeNull()
    expect(repo.findSeq('pir-1', 'e1')).toBe(first)
    const later = repo.insert(event('pir-1', 'e2'), 'processed')!

    db.close()
    db = openDatabase(file)
    repo = createJournalRepo(db)
    expect(repo.settle.held).toBe(1)
    expect(repo.insert(event('pir-1', 'e1'), 'processed')).toBeNull()
    expect(repo.insert(event('pir-1', 'e2'), 'processed')).toBeNull()
    expect(repo.findSeq('pir-1', 'e2')).toBe(later)
    expect(repo.insert(event('pir-1', 'e3'), 'processed')).toBe(later + 1)
    db.close()
  })

  it.each([
    ['its savepoint', (db: Db, run: () => void) => db.transaction(() => { try { db.transaction(() => { run(); throw new Error('item failed') })() } catch { /* the item alone */ } })()],
    ['its whole group', (db: Db, run: () => void) => { try { db.transaction(() => { run(); throw new Error('group failed') })() } catch { /* nothing committed */ } }],
  ])('takes a resend as new when the original was rolled back with %s', (_, rollBack) => {
    const db = openDatabase(':memory:')
    const repo = createJournalRepo(db)
    rollBack(db, () => repo.insert(event('pir-1', 'e1'), 'processed'))
    expect(repo.findSeq('pir-1', 'e1')).toBeNull()
    // The rolled-back row's seq is taken by another device's event: the key held for it must not match that row.
    const other = repo.insert(event('pir-2', 'e9'), 'processed')!
    const resend = repo.insert(event('pir-1', 'e1'), 'processed')
    expect(resend).not.toBeNull()
    expect(resend).not.toBe(other)
    expect(rowsFor(db, 'pir-1', 'e1')).toBe(1)
  })

  it('settles only committed rows up to where the run began; later rows stay held, a rolled-back key is never written', () => {
    const db = openDatabase(':memory:')
    const repo = createJournalRepo(db)
    repo.insert(event('pir-1', 'a'), 'processed')
    try { db.transaction(() => { repo.insert(event('pir-1', 'gone'), 'processed'); throw new Error('rolled back') })() } catch { /* as a failed group */ }
    const run = repo.settle.begin()!
    const after = repo.insert(event('pir-1', 'b'), 'processed')!
    settleAll(db, run)
    expect(db.prepare('SELECT device_id || \'/\' || event_id FROM journal_ids ORDER BY seq').pluck().all()).toEqual(['pir-1/a'])
    expect(throughSeq(db)).toBe(after - 1)
    // b, and the key of the rolled-back row (its seq was taken by b) until a run passes that seq.
    expect(repo.settle.held).toBe(2)
    expect(repo.insert(event('pir-1', 'b'), 'processed')).toBeNull()
    expect(repo.insert(event('pir-1', 'gone'), 'processed')).not.toBeNull()
  })

  it('begins no run inside a transaction (its end must be committed), nor when nothing is new', () => {
    const db = openDatabase(':memory:')
    const repo = createJournalRepo(db)
    expect(repo.settle.begin()).toBeNull()
    repo.insert(event('pir-1', 'a'), 'processed')
    expect(db.transaction(() => repo.settle.begin())()).toBeNull()
    settleAll(db, repo.settle.begin()!)
    expect(repo.settle.begin()).toBeNull()
  })

  it('reads a run\'s rows 5,000 a step, then writes their keys 2,000 a step sorted by device; the last step moves the settled point', () => {
    const db = openDatabase(':memory:')
    const repo = createJournalRepo(db)
    for (let i = 0; i < 12_000; i++) repo.insert(event(`pir-${i % 7}`, `e${i}`), 'processed')
    const run = repo.settle.begin()!
    const written = () => db.prepare('SELECT count(*) FROM journal_ids').pluck().get()
    const step = () => db.transaction(() => run.step())()
    // Three steps read (5,000, 5,000 and 2,000 rows), writing nothing.
    for (let i = 0; i < 3; i++) {
      expect(step()).toBe(false)
      expect(written()).toBe(0)
    }
    expect(step()).toBe(false)
    // 1,715 keys each for pir-0 … pir-3, 1,714 for pir-4 … pir-6: the first 2,000 in key order are pir-0's and 285 of pir-1's.
    expect(db.prepare('SELECT device_id, count(*) AS n FROM journal_ids GROUP BY device_id ORDER BY device_id').all()).toEqual([{ device_id: 'pir-0', n: 1_715 }, { device_id: 'pir-1', n: 285 }])
    for (let i = 0; i < 4; i++) expect(step()).toBe(false)
    expect(throughSeq(db)).toBe(0)
    expect(step()).toBe(true)
    expect(written()).toBe(12_000)
    expect(throughSeq(db)).toBe(12_000)
    expect(repo.settle.held).toBe(12_000)
    run.finish()
    expect(repo.settle.held).toBe(0)
  })

  it('a backlog longer than a run is settled in several runs, each ending at its cap; what lies beyond stays held', () => {
    const file = dbFile()
    let db = openDatabase(file)
    const sizes = { stepKeys: 3, stepRows: 2, runRows: 4 }
    let repo = createJournalRepo(db, sizes)
    for (let i = 0; i < 10; i++) repo.insert(event(`pir-${i % 3}`, `e${i}`), 'processed')
    settleAll(db, repo.settle.begin()!)
    expect(throughSeq(db)).toBe(4)
    expect(repo.settle.held).toBe(6)
    db.close()
    db = openDatabase(file)
    repo = createJournalRepo(db, sizes)
    expect(repo.settle.held).toBe(6)
    for (let i = 0; i < 10; i++) expect(repo.insert(event(`pir-${i % 3}`, `e${i}`), 'processed')).toBeNull()
    settleAll(db, repo.settle.begin()!)
    expect([throughSeq(db), repo.settle.held]).toEqual([8, 2])
    settleAll(db, repo.settle.begin()!)
    expect([throughSeq(db), repo.settle.held]).toEqual([10, 0])
    expect(repo.settle.begin()).toBeNull()
    expect(db.prepare('SELECT count(*) FROM journal_ids').pluck().get()).toBe(10)
    for (let i = 0; i < 10; i++) expect(repo.findSeq(`pir-${i % 3}`, `e${i}`)).toBe(i + 1)
    db.close()
  })

  it('forgets the key when retention removes the row (as the old UNIQUE index did), held or settled', () => {
    const db = openDatabase(':memory:')
    const repo = createJournalRepo(db)
    repo.insert(event('pir-1', 'old'), 'processed')
    settleAll(db, repo.settle.begin()!)
    repo.insert(event('pir-1', 'recent'), 'processed')
    db.prepare('DELETE FROM journal').run()
    expect(db.prepare('SELECT count(*) FROM journal_ids').pluck().get()).toBe(0)
    expect(repo.insert(event('pir-1', 'old'), 'processed')).not.toBeNull()
    expect(repo.insert(event('pir-1', 'recent'), 'processed')).not.toBeNull()
  })

  it('numbers rows after a journal that retention emptied above the settled point, so they are settled and refused after a restart', () => {
    const file = dbFile()
    let db = openDatabase(file)
    let repo = createJournalRepo(db)
    for (let i = 0; i < 5; i++) repo.insert(event('pir-1', `old-${i}`), 'processed')
    settleAll(db, repo.settle.begin()!)
    // The gateway was off for longer than telemetry_days: retention removes every row, the newest included.
    db.prepare('DELETE FROM journal').run()
    const fresh = repo.insert(event('pir-1', 'new'), 'processed')!
    expect(fresh).toBeGreaterThan(throughSeq(db) as number)
    db.close()
    db = openDatabase(file)
    repo = createJournalRepo(db)
    expect(repo.insert(event('pir-1', 'new'), 'processed')).toBeNull()
    settleAll(db, repo.settle.begin()!)
    expect(repo.insert(event('pir-1', 'new'), 'processed')).toBeNull()
    db.close()
  })

  it('the subject export finds a device\'s rows through their keys when settled and by reading them when held', () => {
    const db = openDatabase(':memory:')
    const repo = createJournalRepo(db)
    repo.insert(event('pir-1', 'a'), 'processed')
    repo.insert(event('pir-2', 'b'), 'processed')
    settleAll(db, repo.settle.begin()!)
    repo.insert(event('pir-1', 'c'), 'processed')
    repo.insert(event('pir-3', 'd'), 'processed')
    const events = (devices: string[]) => createSubjectRepo(db).journal(devices).map((r) => r['event_id'])
    expect(events(['pir-1'])).toEqual(['a', 'c'])
    expect(events(['pir-1', 'pir-2', 'pir-3'])).toEqual(['a', 'b', 'c', 'd'])
    expect(events([])).toEqual([])
  })

  it('migrates a journal with the old UNIQUE key: every key settled, repeats still refused', () => {
    const file = dbFile()
    const old = new Database(file)
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'migrations')
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
    for (const f of readdirSync(dir).filter((n) => /^00[1-8]-/.test(n)).sort()) {
      old.exec(readFileSync(join(dir, f), 'utf8'))
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(Number(f.slice(0, 3)), f)
    }
    const insert = old.prepare("INSERT INTO journal (site_id, device_id, event_id, type, device_at, received_at, status) VALUES ('s1', ?, ?, 'motion', 1, 2, 'processed')")
    for (let i = 0; i < 50; i++) insert.run(`pir-${i % 5}`, `e${i}`)
    old.close()
    const db = openDatabase(file)
    const repo = createJournalRepo(db)
    expect(throughSeq(db)).toBe(50)
    expect(repo.settle.held).toBe(0)
    expect(repo.insert(event('pir-3', 'e13'), 'processed')).toBeNull()
    expect(repo.findSeq('pir-3', 'e13')).toBe(14)
    expect(repo.insert(event('pir-3', 'e14'), 'processed')).toBe(51)
    db.close()
  })
})

/** What may happen to the journal between two checks, in any order. */
type Op =
  | { op: 'group'; keys: number[]; commit: boolean }
  | { op: 'item-rolled-back'; key: number }
  | { op: 'begin' }
  | { op: 'step' }
  | { op: 'reopen' }
  | { op: 'retention'; from: number; to: number }

describe('the idempotency key, property', () => {
  it('any mix of commits, rollbacks, settle steps, retention and restarts: a key is refused exactly when a committed row has it, and no key has two rows', () => {
    const KEYS = 30
    const key = fc.nat(KEYS - 1)
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ op: fc.constant('group' as const), keys: fc.array(key, { minLength: 1, maxLength: 6 }), commit: fc.boolean() }), weight: 4 },
      { arbitrary: fc.record({ op: fc.constant('item-rolled-back' as const), key }), weight: 1 },
      { arbitrary: fc.constant({ op: 'begin' as const }), weight: 2 },
      { arbitrary: fc.constant({ op: 'step' as const }), weight: 2 },
      { arbitrary: fc.constant({ op: 'reopen' as const }), weight: 1 },
      // Rows removed in a transaction of their own, as retention does: any range (retention keeps the rows of open
      // alerts, so what it removes need not be a prefix), or all of them.
      { arbitrary: fc.oneof(fc.tuple(fc.nat(80), fc.nat(8)).map(([from, n]) => ({ op: 'retention' as const, from, to: from + n })), fc.constant({ op: 'retention' as const, from: 0, to: Number.MAX_SAFE_INTEGER })), weight: 1 },
    )
    fc.assert(fc.property(fc.array(op, { maxLength: 60, size: 'max' }), (ops) => {
      const file = dbFile()
      let db = openDatabase(file)
      // Tiny steps and runs, so that a few dozen rows cross every slice, batch and run boundary.
      const sizes = { stepKeys: 2, stepRows: 2, runRows: 5 }
      let repo: JournalRepo = createJournalRepo(db, sizes)
      const committed = new Map<number, number>()
      let run: SettleRun | null = null
      const device = (k: number) => `dev-${k % 5}`
      const check = (k: number) => expect(repo.findSeq(device(k), `e${k}`)).toBe(committed.get(k) ?? null)
      try {
        for (const o of ops) {
          if (o.op === 'group') {
            const seen = new Map<number, number>()
            const rollBack = new Error('group rolled back')
            try {
              db.transaction(() => {
                for (const k of o.keys) {
                  const seq = repo.insert(event(device(k), `e${k}`), 'processed')
                  expect(seq === null).toBe(committed.has(k) || seen.has(k))
                  if (seq !== null) seen.set(k, seq)
                }
                if (!o.commit) throw rollBack
              })()
              for (const [k, seq] of seen) committed.set(k, seq)
            } catch (err) {
              if (err !== rollBack) throw err
            }
          } else if (o.op === 'item-rolled-back') {
            db.transaction(() => {
              try { db.transaction(() => { repo.insert(event(device(o.key), `e${o.key}`), 'processed'); throw new Error('item') })() } catch { /* alone */ }
            })()
          } else if (o.op === 'begin') {
            run ??= repo.settle.begin()
          } else if (o.op === 'step' && run) {
            const current: SettleRun = run
            if (db.transaction(() => current.step())()) {
              current.finish()
              run = null
            }
          } else if (o.op === 'retention') {
            db.transaction(() => db.prepare('DELETE FROM journal WHERE seq BETWEEN ? AND ?').run(o.from, o.to))()
            for (const [k, seq] of committed) if (seq >= o.from && seq <= o.to) committed.delete(k)
          } else if (o.op === 'reopen') {
            db.close()
            db = openDatabase(file)
            repo = createJournalRepo(db, sizes)
            run = null
          }
          for (let k = 0; k < KEYS; k++) check(k)
        }
        // And after a last restart (keys held in memory are read back from the journal).
        db.close()
        db = openDatabase(file)
        repo = createJournalRepo(db, sizes)
        for (let k = 0; k < KEYS; k++) check(k)
        expect(db.prepare('SELECT count(*) FROM (SELECT 1 FROM journal GROUP BY device_id, event_id HAVING count(*) > 1)').pluck().get()).toBe(0)
        // Every row up to the settled point has its key in journal_ids, pointing at it.
        expect(db.prepare('SELECT count(*) FROM journal j LEFT JOIN journal_ids k ON k.device_id = j.device_id AND k.event_id = j.event_id AND k.seq = j.seq WHERE j.seq <= (SELECT through_seq FROM journal_settled) AND k.seq IS NULL').pluck().get()).toBe(0)
      } finally {
        db.close()
      }
    }), { numRuns: 200 })
  })
})
