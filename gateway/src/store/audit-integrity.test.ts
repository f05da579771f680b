import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { chainHead, verifyStoredTrail } from './audit-integrity.js'
import { createAuditRepo } from './audit-repo.js'
import { openDatabase } from './db.js'

/** A chained trail of `rows` rows, each with about `bytes` of detail (as a routine-events digest of many events). */
function trail(rows: number, bytes: number) {
  const db = openDatabase(':memory:')
  const key = randomBytes(32)
  const audit = createAuditRepo(db, key)
  for (let i = 1; i <= rows; i++) audit.append({ at: 1000 + i, kind: 'events.routine', actor: 'gateway', detail: { n: i, events: 'x'.repeat(bytes) } })
  db.exec('DROP TRIGGER audit_no_update')
  const tamper = (seq: number) => db.prepare("UPDATE audit SET detail = replace(detail, 'xx', 'xy') WHERE seq = ?").run(seq)
  return { db, key, tamper }
}

const KB = 1024

describe('start-up verification of the tail, bounded by rows and by bytes', () => {
  it.each<[string, number, number, number]>([
    // name, rows of 10 KB, tailBytes, rows checked
    ['checks every row that fits in the byte budget', 50, 100 * KB, 9],
    ['checks all rows when they fit', 5, 100 * KB, 5],
    ['checks the head row however large it is', 5, 1 * KB, 1],
  ])('%s', (_name, rows, tailBytes, checked) => {
    const { db, key } = trail(rows, 10 * KB)
    expect(verifyStoredTrail(db, key, [], { tailRows: 10_000, tailBytes })).toMatchObject({ ok: true, rowsChecked: checked })
  })

  it('the row bound still applies when it is the smaller', () => {
    const { db, key } = trail(50, 10)
    expect(verifyStoredTrail(db, key, [], { tailRows: 7, tailBytes: 16 * 2 ** 20 })).toMatchObject({ ok: true, rowsChecked: 7 })
  })

  it('finds a changed row inside the budget; one outside it is left to the full check', () => {
    const inside = trail(50, 10 * KB)
    inside.tamper(48)
    expect(verifyStoredTrail(inside.db, inside.key, [], { tailRows: 10_000, tailBytes: 100 * KB })).toMatchObject({ ok: false, kind: 'changed', firstBadSeq: 48 })
    const outside = trail(50, 10 * KB)
    outside.tamper(10)
    expect(verifyStoredTrail(outside.db, outside.key, [], { tailRows: 10_000, tailBytes: 100 * KB })).toMatchObject({ ok: true })
    expect(verifyStoredTrail(outside.db, outside.key, [])).toMatchObject({ ok: false, kind: 'changed', firstBadSeq: 10 })
  })

  it('still checks the newest anchor before the budget: a rebuilt chain is caught at start', () => {
    const { db, key } = trail(50, 10 * KB)
    const anchor = { seq: 20, hash: (db.prepare('SELECT hash FROM audit WHERE seq = 20').pluck().get() as string), at: 0 }
    expect(verifyStoredTrail(db, key, [anchor], { tailRows: 10_000, tailBytes: 100 * KB })).toMatchObject({ ok: true })
    const rebuilt = { ...anchor, hash: 'f'.repeat(64) }
    expect(verifyStoredTrail(db, key, [rebuilt], { tailRows: 10_000, tailBytes: 100 * KB })).toMatchObject({ ok: false, kind: 'replaced', firstBadSeq: 20 })
    expect(chainHead(db)?.seq).toBe(50)
  })
})
