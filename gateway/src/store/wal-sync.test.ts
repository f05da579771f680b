import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Db, openDatabase } from './db.js'
import { createRepositories } from './index.js'
import { nodeWalFileOps, type WalFileOps, WalSync } from './wal-sync.js'
import { type Deferred, deferred, nextTurn, track } from './test-deferred.js'

const drain = nextTurn

const WAL = '/nonexistent/gateway.db-wal'

/**
 * File operations that record every call. fdatasync returns a promise the test settles (`rounds`), or resolves at
 * once with `autoSync`; `links` answers from `linkCounts` (one entry per call, then 1).
 */
function fakeOps(options: { autoSync?: boolean; linkCounts?: number[] } = {}) {
  const calls: string[] = []
  const rounds: Deferred<void>[] = []
  const linkCounts = [...(options.linkCounts ?? [])]
  let nextFd = 10
  const ops: WalFileOps = {
    open: async (path) => {
      const fd = nextFd++
      calls.push(`open ${path} -> ${fd}`)
      return fd
    },
    fdatasync: (fd) => {
      calls.push(`fdatasync ${fd}`)
      if (options.autoSync) return Promise.resolve()
      const d = deferred<void>()
      rounds.push(d)
      return d.promise
    },
    links: async (fd) => {
      calls.push(`links ${fd}`)
      return linkCounts.shift() ?? 1
    },
    close: async (fd) => {
      calls.push(`close ${fd}`)
    },
  }
  const fdatasyncs = () => calls.filter((c) => c.startsWith('fdatasync')).length
  return { ops, calls, rounds, fdatasyncs }
}

describe('WalSync with injected file operations', () => {
  it('runs one fdatasync at a time; callers arriving during a sync share exactly one next sync', async () => {
    const fake = fakeOps()
    const wal = new WalSync(WAL, fake.ops)

    const early = track(wal.sync())
    await drain()
    expect(fake.fdatasyncs()).toBe(1) // round 1 in flight

    const second = [track(wal.sync()), track(wal.sync())]
    await drain()
    expect(fake.fdatasyncs()).toBe(1) // no second fdatasync while the first is in flight
    expect([early.state, ...second.map((t) => t.state)]).toEqual(['pending', 'pending', 'pending'])

    fake.rounds[0]!.resolve()
    await drain()
    expect(early.state).toBe('resolved') // it called before round 1 started
    expect(second.map((t) => t.state)).toEqual(['pending', 'pending']) // round 1 started before they called
    expect(fake.fdatasyncs()).toBe(2) // one round for both of them, started after round 1 completed

    fake.rounds[1]!.resolve()
    await drain()
    expect(second.map((t) => t.state)).toEqual(['resolved', 'resolved'])
    expect(fake.fdatasyncs()).toBe(2) // nobody is waiting: no third round
    expect(wal.syncs).toBe(2)
    expect(fake.calls.filter((c) => c.startsWith('open'))).toEqual([`open ${WAL} -> 10`]) // the fd is kept
  })

  // Steps: 'call' = a caller calls sync(); 'done' = the fdatasync in flight completes. Each step is followed by
  // draining, so a round that is due has started (its fdatasync called) before the next step.
  it.each([
    ['one caller per round', ['call', 'done', 'call', 'done', 'call', 'done']],
    ['callers arrive during every round', ['call', 'call', 'done', 'call', 'call', 'done', 'call', 'done', 'done']],
    ['a crowd during round 1, one straggler during round 2', ['call', 'call', 'call', 'call', 'done', 'call', 'done', 'done']],
    ['idle gaps between bursts', ['call', 'done', 'call', 'call', 'done', 'done', 'call', 'done']],
  ])('a caller is answered by the first round that started after its call, never by one already running (%s)', async (_name, steps) => {
    const fake = fakeOps()
    const wal = new WalSync(WAL, fake.ops)
    let completed = 0
    const callers: { startedAtCall: number; completedAtResolve: number | null }[] = []
    for (const step of steps) {
      if (step === 'call') {
        const c = { startedAtCall: fake.fdatasyncs(), completedAtResolve: null as number | null }
        callers.push(c)
        void wal.sync().then(() => (c.completedAtResolve = completed))
      } else {
        completed++
        fake.rounds[completed - 1]!.resolve()
      }
      await drain()
    }
    expect(completed).toBe(fake.fdatasyncs()) // the script completed every round that was started
    // Round k (1-based) is the k-th fdatasync. The first to start after a call is round startedAtCall + 1: it must
    // be the one that answers (an earlier round started before the call; a later one would be a wasted wait).
    expect(callers.map((c) => c.completedAtResolve)).toEqual(callers.map((c) => c.startedAtCall + 1))
  })

  it.each([
    ['EIO', 'i/o error'],
    ['ENOSPC', 'no space left on device'],
  ])('an fdatasync failing with %s rejects that round’s callers and every later call, without another fdatasync (fsyncgate)', async (code, text) => {
    const fake = fakeOps()
    const wal = new WalSync(WAL, fake.ops)
    const failure = Object.assign(new Error(`${code}: ${text}, fdatasync`), { code })

    const first = track(wal.sync())
    await drain()
    const doomed = [track(wal.sync()), track(wal.sync())] // called during round 1: both share round 2
    await drain()
    fake.rounds[0]!.resolve()
    await drain()
    expect(first.state).toBe('resolved')
    expect(fake.fdatasyncs()).toBe(2) // round 2 in flight
    const during = track(wal.sync()) // round 2 already started: not its round
    await drain()
    fake.rounds[1]!.reject(failure)
    await drain()
    expect(doomed.map((t) => t.state)).toEqual(['rejected', 'rejected'])
    expect(doomed[0]!.error).toBe(failure)
    expect(doomed[1]!.error).toBe(failure)
    // After a failed fdatasync the kernel may have dropped the pages: a later "successful" sync proves nothing.
    expect(during.state).toBe('rejected')
    expect(during.error).toBe(failure)
    const later = track(wal.sync())
    await drain()
    expect(later.state).toBe('rejected')
    expect(later.error).toBe(failure)
    expect(fake.fdatasyncs()).toBe(2) // no further attempt
    expect(wal.failure).toBe(failure)
    expect(wal.syncs).toBe(1) // the failed round is not counted
  })

  it('callers of the same turn share one round', async () => {
    const fake = fakeOps()
    const wal = new WalSync(WAL, fake.ops)
    const same = [track(wal.sync()), track(wal.sync()), track(wal.sync())]
    await drain()
    expect(fake.fdatasyncs()).toBe(1)
    fake.rounds[0]!.resolve()
    await drain()
    expect(same.map((t) => t.state)).toEqual(['resolved', 'resolved', 'resolved'])
    expect(fake.fdatasyncs()).toBe(1)
  })

  it('a syncer that has never failed reports no failure', async () => {
    const fake = fakeOps({ autoSync: true })
    const wal = new WalSync(WAL, fake.ops)
    await wal.sync()
    expect(wal.failure).toBeNull()
  })

  it('when the -wal file it holds has 0 links, it closes that fd, opens the file again and syncs the new fd', async () => {
    const fake = fakeOps({ autoSync: true, linkCounts: [0] })
    const wal = new WalSync(WAL, fake.ops)
    await wal.sync()
    expect(fake.calls).toEqual([
      `open ${WAL} -> 10`,
      'fdatasync 10',
      'links 10',
      'close 10',
      `open ${WAL} -> 11`,
      'fdatasync 11',
    ])
    // The next sync uses the new fd, and does not reopen while it still has links.
    await wal.sync()
    expect(fake.calls.slice(6)).toEqual(['fdatasync 11', 'links 11'])
    await wal.close()
    expect(fake.calls.slice(8)).toEqual(['close 11'])
  })

  it('close() closes the held fd once; a second close() does nothing, and a later sync() opens the file again', async () => {
    const fake = fakeOps({ autoSync: true })
    const wal = new WalSync(WAL, fake.ops)
    await wal.sync()
    await wal.close()
    await wal.close()
    expect(fake.calls).toEqual([`open ${WAL} -> 10`, 'fdatasync 10', 'links 10', 'close 10'])
    await wal.sync()
    expect(fake.calls.slice(4)).toEqual([`open ${WAL} -> 11`, 'fdatasync 11', 'links 11'])
  })
})

describe('WalSync on a real -wal file', () => {
  let dir: string
  let file: string
  let db: Db
  const toClose: WalSync[] = []

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-walsync-'))
    file = join(dir, 'gateway.db')
    db = openDatabase(file)
  })

  afterEach(async () => {
    for (const w of toClose.splice(0)) await w.close()
    if (db.open) db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** nodeWalFileOps, recording the fds it opens. */
  function recordingOps() {
    const opened: number[] = []
    const ops: WalFileOps = {
      ...nodeWalFileOps,
      open: async (path) => {
        const fd = await nodeWalFileOps.open(path)
        opened.push(fd)
        return fd
      },
    }
    return { ops, opened }
  }

  /** The file a descriptor of this process refers to, or null if the descriptor is not open. */
  const fdTarget = (fd: number) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      return null
    }
  }

  it('syncs the -wal file of a database that has just committed a row', async () => {
    createRepositories(db).audit.append({ at: 1, kind: 'gateway.started', actor: 'walsync-test', detail: {} })
    expect(existsSync(`${file}-wal`)).toBe(true)
    const wal = new WalSync(`${file}-wal`)
    toClose.push(wal)
    await expect(wal.sync()).resolves.toBeUndefined()
    await expect(Promise.all([wal.sync(), wal.sync()])).resolves.toEqual([undefined, undefined])
    expect(wal.syncs).toBeGreaterThanOrEqual(2)
  })

  it('close() closes the descriptor it held; a second close() is harmless', async () => {
    createRepositories(db).audit.append({ at: 1, kind: 'gateway.started', actor: 'walsync-test', detail: {} })
    const { ops, opened } = recordingOps()
    const wal = new WalSync(`${file}-wal`, ops)
    await wal.sync()
    expect(opened).toHaveLength(1)
    const fd = opened[0]!
    expect(fdTarget(fd)).toBe(`${file}-wal`)
    await wal.close()
    expect(fdTarget(fd)).not.toBe(`${file}-wal`) // closed (null), or the number already reused for another file
    await expect(wal.close()).resolves.toBeUndefined()
  })

  it('rejects with ENOENT when the -wal file does not exist, and never creates it', async () => {
    const missing = join(dir, 'absent.db-wal')
    const wal = new WalSync(missing)
    toClose.push(wal)
    await expect(wal.sync()).rejects.toMatchObject({ code: 'ENOENT' })
    expect(existsSync(missing)).toBe(false)
    // A later call is refused with the same error: a failed open is final, like a failed sync.
    await expect(wal.sync()).rejects.toMatchObject({ code: 'ENOENT' })
    expect(existsSync(missing)).toBe(false)
  })
})
