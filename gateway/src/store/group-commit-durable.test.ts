import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Effects } from '../core/effects.js'
import { GatewayError } from '../core/errors.js'
import { type Db, openDatabase } from './db.js'
import { GroupCommitter } from './group-commit.js'
import { createRepositories } from './index.js'
import { nodeWalFileOps, type WalFileOps, WalSync } from './wal-sync.js'
import { type Deferred, deferred, nextTurn, track } from './test-deferred.js'

const tick = nextTurn

let dir: string
let file: string
let db: Db
let reader: Database.Database
let committed: Effects[]
/** One deferred per call of `durable`, in call order; the test settles them. */
let syncs: Deferred<void>[]
let committer: GroupCommitter

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-store-durable-'))
  file = join(dir, 'gateway.db')
  db = openDatabase(file)
  // A second connection sees only what has been committed (WAL snapshot isolation).
  reader = new Database(file, { readonly: true })
  committed = []
  syncs = []
  committer = new GroupCommitter(db, (fx) => committed.push(fx), () => {
    const d = deferred<void>()
    syncs.push(d)
    return d.promise
  })
})

afterEach(() => {
  reader.close()
  if (db.open) db.close()
  rmSync(dir, { recursive: true, force: true })
})

const mark = (actor: string) => createRepositories(db).audit.append({ at: 1, kind: 'gateway.started', actor, detail: {} })
const actorsSeenBy = (conn: Database.Database) => conn.prepare('SELECT actor FROM audit ORDER BY seq').pluck().all() as string[]
const synchronous = () => db.pragma('synchronous', { simple: true })
/** A committer on the same database and sync whose group's last write the disk refuses (SQLITE_FULL). */
const refusingCommitter = () => new GroupCommitter(db, (fx) => committed.push(fx), () => {
  const d = deferred<void>()
  syncs.push(d)
  return d.promise
}, { beforeCommit: () => { throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }) } })

describe('GroupCommitter with durable (sync after COMMIT)', () => {
  it('commits and applies effects at once, but resolves the promises only after durable() resolves', async () => {
    const a = track(committer.submit((fx) => (mark('a'), fx.alertsChanged.add('al-a'), 'a')))
    const b = track(committer.submit((fx) => (mark('b'), fx.alertsChanged.add('al-b'), 'b')))
    await tick()
    expect(actorsSeenBy(reader)).toEqual(['a', 'b']) // committed
    expect(committed).toHaveLength(1) // effects applied right after COMMIT
    expect([...committed[0]!.alertsChanged]).toEqual(['al-a', 'al-b'])
    expect(syncs).toHaveLength(1) // one sync for the whole group
    await tick()
    expect([a.state, b.state]).toEqual(['pending', 'pending']) // not acknowledged before the disk has it

    syncs[0]!.resolve()
    await tick()
    expect([a, b].map((t) => [t.state, t.value])).toEqual([
      ['resolved', 'a'],
      ['resolved', 'b'],
    ])
    expect(committed).toHaveLength(1) // effects are not applied a second time
  })

  it('each group waits for its own sync: a later group’s sync does not release an earlier group', async () => {
    const first = track(committer.submit(() => (mark('g1'), 1)))
    await tick()
    const second = track(committer.submit(() => (mark('g2'), 2)))
    await tick()
    expect(syncs).toHaveLength(2)
    syncs[1]!.resolve()
    await tick()
    expect([first.state, second.state]).toEqual(['pending', 'resolved'])
    syncs[0]!.resolve()
    await tick()
    expect(first).toEqual({ state: 'resolved', value: 1 })
  })

  it('rejects every promise of the group with GW_ERR_STORE_NOT_DURABLE when durable() rejects; a later group commits and resolves', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
    const group = [committer.submit(() => (mark('a'), 'a')), committer.submit(() => (mark('b'), 'b'))]
    const settled = Promise.allSettled(group)
    await tick()
    expect(actorsSeenBy(reader)).toEqual(['a', 'b'])
    syncs[0]!.reject(eio)
    const results = await settled
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    for (const r of results) {
      const reason = (r as PromiseRejectedResult).reason as GatewayError
      expect(reason).toBeInstanceOf(GatewayError)
      expect(reason.code).toBe('GW_ERR_STORE_NOT_DURABLE')
      expect(reason.message).toMatch(/write-ahead log/)
      expect(reason.message).toMatch(/sync/)
      expect(reason.message).toContain('EIO')
      expect(reason.cause).toBe(eio)
    }

    const later = committer.submit(() => (mark('c'), 'c'))
    await tick()
    expect(syncs).toHaveLength(2)
    syncs[1]!.resolve()
    await expect(later).resolves.toBe('c')
    expect(actorsSeenBy(reader)).toEqual(['a', 'b', 'c'])
  })

  it('does not call durable() when the group’s transaction fails; its promises reject at once', async () => {
    // The disk refuses the group's last write (another writer's lock no longer fails a group: it waits, group-commit.test.ts).
    const refused = refusingCommitter()
    const results = await Promise.allSettled([refused.submit(() => mark('a')), refused.submit(() => mark('b'))])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(((results[0] as PromiseRejectedResult).reason as GatewayError).code).toBe('GW_ERR_STORE_WRITE_FAILED')
    expect(syncs).toHaveLength(0)
    expect(actorsSeenBy(reader)).toEqual([])
  })
})

describe('GroupCommitter with durable: PRAGMA synchronous', () => {
  it('leaves synchronous at FULL (2) after construction', () => {
    expect(synchronous()).toBe(2)
  })

  it('runs the very first group after construction under NORMAL (1), and restores FULL (2) after it', async () => {
    let inside: unknown
    const p = committer.submit(() => {
      inside = synchronous()
      mark('first')
    })
    await tick()
    syncs[0]?.resolve()
    await p
    expect(inside).toBe(1)
    expect(synchronous()).toBe(2)
  })

  /** A group with `items` runs; resolves to what synchronous was inside each item's run() and the outcomes. */
  async function group(items: ('ok' | 'throws')[]) {
    const inside: unknown[] = []
    const promises = items.map((kind, i) =>
      committer.submit(() => {
        inside.push(synchronous())
        mark(`item-${i}`)
        if (kind === 'throws') throw new Error(`item ${i} fails`)
        return i
      }),
    )
    const settled = Promise.allSettled(promises)
    await tick()
    for (const s of syncs) s.resolve()
    const results = await settled
    return { inside, statuses: results.map((r) => r.status), after: synchronous() }
  }

  it.each([
    ['a group whose items all succeed', ['ok', 'ok', 'ok'], ['fulfilled', 'fulfilled', 'fulfilled']],
    ['a group with an item that throws and has no recover', ['ok', 'throws', 'ok'], ['fulfilled', 'rejected', 'fulfilled']],
    ['a group of one failing item', ['throws'], ['rejected']],
  ] as const)('%s commits under NORMAL (1) inside run() and restores FULL (2) after', async (_name, items, statuses) => {
    await group(['ok']) // not the first group (that one is covered on its own above)
    for (let round = 0; round < 3; round++) {
      const r = await group([...items])
      expect(r.inside).toEqual(items.map(() => 1))
      expect(r.statuses).toEqual(statuses)
      expect(r.after).toBe(2)
    }
  })

  it('restores FULL (2) after a group whose transaction fails', async () => {
    await group(['ok'])
    const results = await Promise.allSettled([refusingCommitter().submit(() => mark('refused'))])
    expect(results[0]!.status).toBe('rejected')
    expect(synchronous()).toBe(2)
    // And the next group is NORMAL inside and FULL after again.
    const r = await group(['ok'])
    expect(r).toEqual({ inside: [1], statuses: ['fulfilled'], after: 2 })
  })

  it('without durable, groups keep FULL (2) inside run()', async () => {
    const plain = new GroupCommitter(db, () => undefined)
    const inside: unknown[] = []
    for (let i = 0; i < 3; i++) await plain.submit(() => void inside.push(synchronous()))
    expect(inside).toEqual([2, 2, 2])
    expect(synchronous()).toBe(2)
  })
})

describe('GroupCommitter with a real WalSync', () => {
  it('resolves every group only after an fdatasync that started after its COMMIT has completed', async () => {
    const log: string[] = []
    const ops: WalFileOps = {
      ...nodeWalFileOps,
      fdatasync: async (fd) => {
        log.push('fdatasync start')
        await nodeWalFileOps.fdatasync(fd)
        log.push('fdatasync')
      },
    }
    const wal = new WalSync(`${file}-wal`, ops)
    let groupNo = 0
    const real = new GroupCommitter(db, () => log.push(`commit ${++groupNo}`), () => wal.sync())
    try {
      const submitGroup = (names: string[]) =>
        names.map((n) => real.submit(() => (mark(n), n)).then((v) => (log.push(`resolved ${v}`), v)))
      // Group 1 alone, then groups 2 and 3 back to back (3 is submitted while 2's sync may be in flight).
      expect(await Promise.all(submitGroup(['a', 'b']))).toEqual(['a', 'b'])
      const g2 = submitGroup(['c'])
      await tick()
      const g3 = submitGroup(['d', 'e'])
      expect(await Promise.all([...g2, ...g3])).toEqual(['c', 'd', 'e'])
      expect(actorsSeenBy(reader)).toEqual(['a', 'b', 'c', 'd', 'e'])

      const groups: Record<string, string[]> = { 'commit 1': ['a', 'b'], 'commit 2': ['c'], 'commit 3': ['d', 'e'] }
      expect(log.filter((e) => e.startsWith('commit'))).toEqual(Object.keys(groups))
      for (const [commit, names] of Object.entries(groups)) {
        const committedAt = log.indexOf(commit)
        for (const name of names) {
          const resolvedAt = log.indexOf(`resolved ${name}`)
          expect(resolvedAt).toBeGreaterThan(committedAt)
          // Some fdatasync started after this group's COMMIT and completed before the promise resolved.
          const covering = log.findIndex((e, i) => e === 'fdatasync start' && i > committedAt && log.indexOf('fdatasync', i) < resolvedAt && log.indexOf('fdatasync', i) !== -1)
          expect(covering, `${name}: ${log.join(' | ')}`).toBeGreaterThan(-1)
        }
      }
    } finally {
      await wal.close()
    }
  })
})
