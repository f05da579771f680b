import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Effects } from '../core/effects.js'
import { type Db, openDatabase } from './db.js'
import { GroupCommitter } from './group-commit.js'
import { createRepositories } from './index.js'

let dir: string
let file: string
let db: Db
let reader: Database.Database
let committed: Effects[]
let committer: GroupCommitter

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-store-'))
  file = join(dir, 'gateway.db')
  db = openDatabase(file)
  // A second connection sees only what has been committed (WAL snapshot isolation).
  reader = new Database(file, { readonly: true })
  committed = []
  committer = new GroupCommitter(db, (fx) => committed.push(fx))
})

afterEach(() => {
  reader.close()
  if (db.open) db.close()
  rmSync(dir, { recursive: true, force: true })
})

const mark = (actor: string) => createRepositories(db).audit.append({ at: 1, kind: 'gateway.started', actor, detail: {} })
const actorsSeenBy = (conn: Database.Database) => conn.prepare('SELECT actor FROM audit ORDER BY seq').pluck().all() as string[]

describe('GroupCommitter', () => {
  it('commits work submitted in the same tick in one transaction, then resolves each promise and applies effects once', async () => {
    const seen: { mine: string[]; others: string[]; inTransaction: boolean }[] = []
    const item = (name: string) => committer.submit((fx) => {
      mark(name)
      fx.alertsChanged.add(`al-${name}`)
      fx.notificationsToSend.push(`nt-${name}`)
      seen.push({ mine: actorsSeenBy(db), others: actorsSeenBy(reader), inTransaction: db.inTransaction })
      return name
    })
    const pending = [item('a'), item('b'), item('c')]
    expect(committer.backlog).toBe(3)
    expect(committed).toEqual([]) // nothing is applied before the commit
    expect(await Promise.all(pending)).toEqual(['a', 'b', 'c'])
    // Each item saw the earlier items' rows on the writer, and nothing yet from the reader: one open transaction.
    expect(seen).toEqual([
      { mine: ['a'], others: [], inTransaction: true },
      { mine: ['a', 'b'], others: [], inTransaction: true },
      { mine: ['a', 'b', 'c'], others: [], inTransaction: true },
    ])
    expect(actorsSeenBy(reader)).toEqual(['a', 'b', 'c'])
    expect(committed).toHaveLength(1)
    expect([...committed[0]!.alertsChanged]).toEqual(['al-a', 'al-b', 'al-c'])
    expect(committed[0]!.notificationsToSend).toEqual(['nt-a', 'nt-b', 'nt-c'])
    expect(committer.backlog).toBe(0)
  })

  it('work submitted after a commit goes into the next transaction', async () => {
    await committer.submit(() => mark('first'))
    await committer.submit(() => mark('second'))
    expect(committed).toHaveLength(2)
    expect(actorsSeenBy(reader)).toEqual(['first', 'second'])
  })

  it('rolls back an item that throws alone, runs its recover in its place, and commits the others', async () => {
    const failure = new Error('rule evaluation failed')
    let recoveredFrom: unknown
    const results = await Promise.all([
      committer.submit((fx) => (fx.alertsChanged.add('al-a'), mark('a'), 'a')),
      committer.submit(
        (fx) => {
          mark('b-run')
          fx.alertsChanged.add('al-b-run')
          fx.timersChanged = true
          throw failure
        },
        (err, fx) => {
          recoveredFrom = err
          mark('b-recover')
          fx.alertsChanged.add('al-b-recover')
          return 'recovered'
        },
      ),
      committer.submit((fx) => (fx.alertsChanged.add('al-c'), mark('c'), 'c')),
    ])
    expect(results).toEqual(['a', 'recovered', 'c'])
    expect(recoveredFrom).toBe(failure)
    expect(actorsSeenBy(reader)).toEqual(['a', 'b-recover', 'c'])
    // The failed run's effects are discarded with its writes; the recovery's effects are kept.
    expect(committed).toHaveLength(1)
    expect([...committed[0]!.alertsChanged]).toEqual(['al-a', 'al-b-recover', 'al-c'])
    expect(committed[0]!.timersChanged).toBe(false)
  })

  it('rejects an item that throws without a recover with its own error; the others still commit', async () => {
    const failure = new Error('bad item')
    const results = await Promise.allSettled([
      committer.submit(() => mark('a')),
      committer.submit(() => {
        mark('b')
        throw failure
      }),
      committer.submit(() => mark('c')),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBe(failure)
    expect(actorsSeenBy(reader)).toEqual(['a', 'c'])
  })

  it('rejects with the recover’s error when the recover throws too, and rolls both back', async () => {
    const second = new Error('recover failed')
    const results = await Promise.allSettled([
      committer.submit(
        () => {
          mark('b-run')
          throw new Error('first')
        },
        () => {
          mark('b-recover')
          throw second
        },
      ),
      committer.submit(() => mark('c')),
    ])
    expect((results[0] as PromiseRejectedResult).reason).toBe(second)
    expect(actorsSeenBy(reader)).toEqual(['c'])
  })

  it('an item that tries to rewrite the audit trail is refused by the trigger and rolled back alone', async () => {
    await committer.submit(() => mark('original'))
    const results = await Promise.allSettled([
      committer.submit(() => db.prepare("UPDATE audit SET actor = 'forged'").run()),
      committer.submit(() => mark('next')),
    ])
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ message: 'audit is append-only' })
    expect(actorsSeenBy(reader)).toEqual(['original', 'next'])
  })
})

describe('openDatabase', () => {
  it('opens in WAL mode with synchronous=FULL (PRAGMA synchronous returns 2) and foreign keys on', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
  })

  it('applies each migration once, also when the database is opened again', () => {
    const versions = () => db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()
    const before = versions()
    expect(before[0]).toBe(1)
    db.close()
    db = openDatabase(file)
    expect(versions()).toEqual(before)
  })

  it('accepts an in-memory database for unit tests, still with synchronous=FULL', () => {
    const mem = openDatabase(':memory:')
    expect(mem.pragma('synchronous', { simple: true })).toBe(2)
    mem.close()
  })

  it.each([
    ['UPDATE', "UPDATE audit SET detail = '{}'"],
    ['DELETE', 'DELETE FROM audit'],
  ])("the audit table refuses %s with 'audit is append-only'", (_verb, sql) => {
    mark('kept')
    expect(() => db.prepare(sql).run()).toThrow('audit is append-only')
    expect(actorsSeenBy(db)).toEqual(['kept'])
  })
})

describe('GroupCommitter when the store refuses a write (reliability-security.md row 16)', () => {
  const page = (id: string) => ({ alert: { id: `al-${id}` } as never, notification: { id: `nt-${id}` } as never })
  const refusal = (code: string) => Object.assign(new Error(`refused: ${code}`), { code })

  it.each([
    ['SQLITE_FULL', true], ['SQLITE_IOERR_WRITE', true], ['SQLITE_READONLY', true], ['SQLITE_BUSY', true],
    ['SQLITE_CONSTRAINT_UNIQUE', false], ['GW_ERR_API_BAD_REQUEST', false], [undefined, false],
  ])('%s is a refusal by the store: %s', async (code, refused) => {
    const { isStoreRefusal } = await import('./group-commit.js')
    expect(isStoreRefusal(code === undefined ? new Error('bug') : refusal(code))).toBe(refused)
  })

  it('a refused COMMIT fails every item, acknowledges nothing, and hands over every page the group planned', async () => {
    const unstored: { pages: string[]; err: unknown }[] = []
    const c = new GroupCommitter(db, (fx) => committed.push(fx), undefined, {
      // The last write of the group is refused, as a full disk refuses the COMMIT's frames.
      beforeCommit: () => { throw refusal('SQLITE_FULL') },
      onUnstored: (fx, err) => unstored.push({ pages: fx.pages.map((p) => p.notification.id), err }),
    })
    const a = c.submit((fx) => { mark('a'); fx.pages.push(page('a')) })
    const b = c.submit((fx) => { mark('b'); fx.pages.push(page('b')) })
    await expect(a).rejects.toMatchObject({ code: 'GW_ERR_STORE_WRITE_FAILED' })
    await expect(b).rejects.toMatchObject({ code: 'GW_ERR_STORE_WRITE_FAILED' })
    expect(unstored).toEqual([{ pages: ['nt-a', 'nt-b'], err: expect.objectContaining({ code: 'SQLITE_FULL' }) }])
    expect(committed).toEqual([])
    expect(actorsSeenBy(reader)).toEqual([])
  })

  it('an item whose write is refused (and whose recovery is too) hands over its pages; the rest of the group commits', async () => {
    const unstored: string[][] = []
    const c = new GroupCommitter(db, (fx) => committed.push(fx), undefined, { onUnstored: (fx) => unstored.push(fx.pages.map((p) => p.notification.id)) })
    const ok = c.submit((fx) => { mark('ok'); fx.pages.push(page('ok')) })
    const lost = c.submit((fx) => {
      fx.pages.push(page('lost'))
      throw refusal('SQLITE_IOERR_WRITE')
    }, () => { throw refusal('SQLITE_IOERR_WRITE') })
    const bug = c.submit((fx) => {
      fx.pages.push(page('bug'))
      throw new Error('a bug, not the store')
    })
    await expect(ok).resolves.toBeUndefined()
    await expect(lost).rejects.toMatchObject({ code: 'SQLITE_IOERR_WRITE' })
    await expect(bug).rejects.toThrow('a bug, not the store')
    // The bug's page is not sent: its work was rolled back for a reason a resend will not cure, and it is not an alarm
    // the store lost. The committed item's page goes out the usual way, after the commit.
    expect(unstored).toEqual([['nt-lost']])
    expect(committed.flatMap((fx) => fx.pages.map((p) => p.notification.id))).toEqual(['nt-ok'])
    expect(actorsSeenBy(reader)).toEqual(['ok'])
  })
})

describe('GroupCommitter when SQLite rolled the group back by itself', () => {
  it('runs no item outside the group transaction: the group fails, every item is rejected, pages still go out', async () => {
    const unstored: string[][] = []
    const ran: string[] = []
    const c = new GroupCommitter(db, (fx) => committed.push(fx), undefined, { onUnstored: (fx) => unstored.push(fx.pages.map((p) => p.notification.id)) })
    const first = c.submit((fx) => { ran.push('first'); mark('first'); fx.pages.push({ alert: { id: 'al-1' } as never, notification: { id: 'nt-1' } as never }) })
    const refused = c.submit((fx) => {
      ran.push('refused')
      fx.pages.push({ alert: { id: 'al-2' } as never, notification: { id: 'nt-2' } as never })
      // What SQLite does on a full disk or an I/O error inside a statement: the whole transaction is rolled back.
      db.exec('ROLLBACK')
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
    })
    const after = c.submit(() => { ran.push('after'); mark('after') })
    for (const p of [first, refused, after]) await expect(p).rejects.toBeTruthy()
    expect(ran).toEqual(['first', 'refused'])
    expect(unstored).toEqual([['nt-1', 'nt-2']])
    expect(actorsSeenBy(reader)).toEqual([])
    expect(committed).toEqual([])
  })

  describe('a last write that fails with a bug (beforeCommit), and its fallback', () => {
    // The hook writes a row first, then fails: the fallback must find that row gone.
    const failingHook = (err: Error) => () => {
      mark('half-written digest')
      throw err
    }

    it.each<[string, Error, boolean, string[]]>([
      // name, what the hook throws, a fallback given, rows the reader sees afterwards
      ['a bug: the fallback writes instead and the group commits', new Error('digest bug'), true, ['a', 'b', 'row by row']],
      ['a bug with no fallback: the group fails', new Error('digest bug'), false, []],
      ['a refusal by the store: the group fails, the fallback is not tried', Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }), true, []],
    ])('%s', async (_name, thrown, withFallback, rows) => {
      const fellBack: unknown[] = []
      const c = new GroupCommitter(db, (fx) => committed.push(fx), undefined, {
        beforeCommit: failingHook(thrown),
        ...(withFallback ? { beforeCommitFallback: (_fx: Effects, err: unknown) => { fellBack.push(err); mark('row by row') } } : {}),
      })
      const items = [c.submit(() => { mark('a'); return 'a' }), c.submit(() => { mark('b'); return 'b' })]
      const settled = await Promise.allSettled(items)
      const ok = rows.length > 0
      expect(settled.map((r) => r.status)).toEqual(ok ? ['fulfilled', 'fulfilled'] : ['rejected', 'rejected'])
      expect(actorsSeenBy(reader)).toEqual(rows)
      expect(fellBack).toEqual(ok ? [thrown] : [])
      expect(committed).toHaveLength(ok ? 1 : 0)
    })

    it('no fallback once SQLite has rolled the whole transaction back: it would write outside the group', async () => {
      const fellBack: unknown[] = []
      const c = new GroupCommitter(db, (fx) => committed.push(fx), undefined, {
        beforeCommit: () => {
          db.exec('ROLLBACK')
          throw new Error('digest bug after the transaction was gone')
        },
        beforeCommitFallback: (_fx, err) => { fellBack.push(err); mark('outside') },
      })
      await expect(c.submit(() => mark('a'))).rejects.toMatchObject({ code: 'GW_ERR_STORE_WRITE_FAILED' })
      expect(fellBack).toEqual([])
      expect(actorsSeenBy(reader)).toEqual([])
    })

    it('a fallback that fails too fails the group, and leaves nothing of either attempt', async () => {
      const c = new GroupCommitter(db, (fx) => committed.push(fx), undefined, {
        beforeCommit: failingHook(new Error('digest bug')),
        beforeCommitFallback: () => { mark('fallback half'); throw new Error('fallback bug') },
      })
      await expect(c.submit(() => mark('a'))).rejects.toMatchObject({ code: 'GW_ERR_STORE_WRITE_FAILED' })
      expect(actorsSeenBy(reader)).toEqual([])
      expect(committed).toEqual([])
    })
  })

  describe('while another process holds the write lock (a shell left in a transaction)', () => {
    it('keeps the batch without blocking the event loop, reports the lock, and commits it once the lock is released', async () => {
      const other = new Database(file)
      other.exec('BEGIN IMMEDIATE')
      const reports: string[] = []
      const c = new GroupCommitter(db, (fx) => committed.push(fx), undefined, { lockReportMs: 0, onLocked: () => reports.push('locked'), onUnlocked: () => reports.push('unlocked') })
      let settled = 0
      const timeoutInside: unknown[] = []
      const items = ['a', 'b'].map((n) => c.submit(() => { mark(n); timeoutInside.push(db.pragma('busy_timeout', { simple: true })); return n }).finally(() => settled++))
      // Timers keep firing meanwhile: SQLite's busy wait (5 s here) would have held this one up, and then failed the group.
      let ticks = 0
      for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10)).then(() => ticks++)
      expect(ticks).toBe(5)
      expect(settled).toBe(0)
      // Between retries everything else on the connection keeps the usual busy timeout.
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
      expect(reports).toEqual(['locked'])
      const late = c.submit(() => { mark('c'); return 'c' })
      expect(c.backlog).toBe(3)
      other.exec('COMMIT')
      expect(await Promise.all([...items, late])).toEqual(['a', 'b', 'c'])
      expect(actorsSeenBy(reader)).toEqual(['a', 'b', 'c'])
      expect(reports).toEqual(['locked', 'unlocked'])
      // Inside the group the items wait as usual (a reader's WAL recovery, say).
      expect(timeoutInside).toEqual([5000, 5000])
      // The connection's busy timeout is back for everything else.
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
      other.close()
    })

    it('at shutdown (stopWaitingForLock) fails what waits for the lock, and anything submitted after, instead of waiting', async () => {
      const other = new Database(file)
      other.exec('BEGIN IMMEDIATE')
      const c = new GroupCommitter(db, (fx) => committed.push(fx))
      const waiting = c.submit(() => mark('a'))
      await new Promise((r) => setTimeout(r, 20))
      c.stopWaitingForLock()
      await expect(waiting).rejects.toMatchObject({ code: 'GW_ERR_STORE_WRITE_FAILED' })
      await expect(c.submit(() => mark('b'))).rejects.toMatchObject({ code: 'GW_ERR_STORE_WRITE_FAILED' })
      other.exec('COMMIT')
      expect(actorsSeenBy(reader)).toEqual([])
      expect(committed).toEqual([])
      other.close()
    })

    it('a lock that ends in a failed group is over too: the next lock is reported as a new one', async () => {
      const other = new Database(file)
      const reports: string[] = []
      let refuse = true
      const c = new GroupCommitter(db, (fx) => committed.push(fx), undefined, {
        lockReportMs: 0, onLocked: () => reports.push('locked'), onUnlocked: () => reports.push('unlocked'),
        beforeCommit: () => { if (refuse) throw Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }) },
      })
      other.exec('BEGIN IMMEDIATE')
      const first = c.submit(() => mark('a'))
      await new Promise((r) => setTimeout(r, 20))
      other.exec('COMMIT')
      await expect(first).rejects.toMatchObject({ code: 'GW_ERR_STORE_WRITE_FAILED' })
      expect(reports).toEqual(['locked', 'unlocked'])
      refuse = false
      other.exec('BEGIN IMMEDIATE')
      const second = c.submit(() => mark('b'))
      await new Promise((r) => setTimeout(r, 20))
      other.exec('COMMIT')
      await second
      expect(reports).toEqual(['locked', 'unlocked', 'locked', 'unlocked'])
      other.close()
    })

    it('does not report a lock held for less than lockReportMs', async () => {
      const other = new Database(file)
      other.exec('BEGIN IMMEDIATE')
      const reports: string[] = []
      const c = new GroupCommitter(db, (fx) => committed.push(fx), undefined, { onLocked: () => reports.push('locked'), onUnlocked: () => reports.push('unlocked') })
      const a = c.submit(() => mark('a'))
      await new Promise((r) => setTimeout(r, 20))
      other.exec('COMMIT')
      await a
      expect(reports).toEqual([])
      other.close()
    })
  })
})
