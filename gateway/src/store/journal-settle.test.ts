import { describe, expect, it } from 'vitest'
import { openDatabase } from './db.js'
import { GroupCommitter } from './group-commit.js'
import { createJournalRepo } from './journal-repo.js'
import { type JournalSettle, journalSettler } from './journal-settle.js'

const event = (deviceId: string, eventId: string) => ({ siteId: 's1', deviceId, eventId, type: 'motion', deviceAt: 1, receivedAt: 2 })

/** The real committer with the settler on its after-commit hook, as compose/gateway-committer.ts wires them. */
function setUp(opts: { settleAt: number; settle?: (real: JournalSettle) => JournalSettle; now?: () => number; durable?: () => Promise<void> }) {
  const db = openDatabase(':memory:')
  const repo = createJournalRepo(db)
  const errors: unknown[] = []
  const settle = opts.settle?.(repo.settle) ?? repo.settle
  const settler = journalSettler(settle, (run, recover, lane) => committer.submit(run, recover, lane), { settleAt: opts.settleAt, now: opts.now, onError: (e) => errors.push(e) })
  const committer = new GroupCommitter(db, () => settler.afterCommit(), opts.durable)
  const journal = (deviceId: string, eventId: string) => committer.submit(() => repo.insert(event(deviceId, eventId), 'processed'))
  return { db, repo, settler, committer, journal, errors }
}

describe('settling the journal\'s keys from the group committer', () => {
  it('starts a run once enough keys are held; its steps go in between groups; no second run begins meanwhile', async () => {
    const begins: number[] = []
    const { db, repo, settler, journal } = setUp({
      settleAt: 5,
      // Two extra steps that write nothing, so the run spans several groups.
      settle: (real) => ({
        get held() { return real.held },
        begin: () => {
          begins.push(real.held)
          const run = real.begin()
          let idle = 2
          return run && { step: () => (idle-- > 0 ? false : run.step()), finish: () => run.finish() }
        },
      }),
    })
    for (let i = 0; i < 4; i++) expect(await journal(`pir-${i % 3}`, `e${i}`)).not.toBeNull()
    expect(settler.running).toBeNull()
    await journal('pir-1', 'e4')
    expect(begins).toEqual([5])
    const run = settler.running
    expect(run).not.toBeNull()
    for (let i = 5; i < 8; i++) await journal(`pir-${i % 3}`, `e${i}`)
    await run
    expect(begins).toEqual([5])
    expect(db.prepare('SELECT through_seq FROM journal_settled').pluck().get()).toBe(5)
    // e5 … e7 were journaled after the run began: still held.
    expect(repo.settle.held).toBe(3)
    for (let i = 0; i < 8; i++) expect(await journal(`pir-${i % 3}`, `e${i}`)).toBeNull()
  })

  it('after a failed run: reported, the keys still held and refused, the next run only after the wait', async () => {
    let clock = 1_000
    let failing = true
    const { repo, settler, journal, errors } = setUp({
      settleAt: 3,
      now: () => clock,
      // A step the store refuses (SQLITE_FULL, say) while `failing`.
      settle: (real) => ({
        get held() { return real.held },
        begin: () => {
          const run = real.begin()
          return run && { step: () => { if (failing) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }); return run.step() }, finish: () => run.finish() }
        },
      }),
    })
    for (let i = 0; i < 3; i++) await journal('pir-1', `e${i}`)
    await settler.running
    expect(errors).toHaveLength(1)
    expect(repo.settle.held).toBe(3)
    expect(await journal('pir-1', 'e0')).toBeNull()
    failing = false
    await journal('pir-1', 'e3')
    expect(settler.running).toBeNull()
    clock += 10_000
    await journal('pir-1', 'e4')
    await settler.running
    expect(errors).toHaveLength(1)
    expect(repo.settle.held).toBe(0)
    expect(await journal('pir-1', 'e2')).toBeNull()
  })

  it('a run whose last step\'s WAL sync fails forgets nothing: the keys stay held and repeats are refused', async () => {
    let syncFails = false
    const { repo, settler, journal, errors } = setUp({ settleAt: 3, durable: async () => { if (syncFails) throw new Error('EIO') } })
    for (let i = 0; i < 2; i++) await journal('pir-1', `e${i}`)
    // The third event's commit starts the run; its first step (reading) and last (writing, marking) go in next.
    syncFails = true
    await journal('pir-1', 'e2').catch(() => undefined)
    await settler.running
    expect(errors).toHaveLength(1)
    expect(repo.settle.held).toBe(3)
    syncFails = false
    for (let i = 0; i < 3; i++) expect(await journal('pir-1', `e${i}`)).toBeNull()
  })
})
