import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Anchor, type ChainRow, GENESIS, rowHash, verifyChain } from './chain.js'

const key = Buffer.alloc(32, 7)

/** A valid chain of n rows, as the audit repository writes them. */
function chain(n: number, k = key): ChainRow[] {
  const rows: ChainRow[] = []
  let prev = GENESIS
  for (let seq = 1; seq <= n; seq++) {
    const base = { seq, at: 1_700_000_000_000 + seq, kind: 'event.received', actor: `device:d${seq % 3}`, alert_id: null, device_id: `d${seq % 3}`, person_id: 'p-1', event_seq: seq, detail: JSON.stringify({ n: seq }) }
    const hash = rowHash(k, base, prev)
    rows.push({ ...base, prev_hash: prev, hash })
    prev = hash
  }
  return rows
}

const anchorAt = (rows: ChainRow[], seq: number): Anchor => ({ seq, hash: rows.find((r) => r.seq === seq)!.hash!, at: 1_700_000_100_000 })

describe('verifyChain names the first bad row and the kind of break', () => {
  const cases: { name: string; tamper: (rows: ChainRow[]) => ChainRow[]; anchors?: (orig: ChainRow[]) => Anchor[]; kind: string | null; seq: number | null }[] = [
    { name: 'an intact chain', tamper: (r) => r, kind: null, seq: null },
    { name: 'a changed byte in detail', tamper: (r) => r.map((x) => (x.seq === 7 ? { ...x, detail: x.detail.replace('7', '8') } : x)), kind: 'changed', seq: 7 },
    { name: 'a changed actor', tamper: (r) => r.map((x) => (x.seq === 3 ? { ...x, actor: 'user:mallory' } : x)), kind: 'changed', seq: 3 },
    { name: 'a changed time', tamper: (r) => r.map((x) => (x.seq === 10 ? { ...x, at: x.at - 60_000 } : x)), kind: 'changed', seq: 10 },
    { name: 'an edited hash column', tamper: (r) => r.map((x) => (x.seq === 4 ? { ...x, hash: 'f'.repeat(64) } : x)), kind: 'changed', seq: 4 },
    { name: 'one deleted row', tamper: (r) => r.filter((x) => x.seq !== 5), kind: 'deleted', seq: 6 },
    { name: 'three deleted rows', tamper: (r) => r.filter((x) => x.seq < 5 || x.seq > 7), kind: 'deleted', seq: 8 },
    { name: 'the first row deleted', tamper: (r) => r.filter((x) => x.seq !== 1), kind: 'deleted', seq: 2 },
    {
      name: 'two rows swapped',
      tamper: (r) => r.map((x) => (x.seq === 5 ? { ...r[5]!, seq: 5 } : x.seq === 6 ? { ...r[4]!, seq: 6 } : x)),
      kind: 'swapped', seq: 5,
    },
    { name: 'a truncated tail (anchored)', tamper: (r) => r.slice(0, 8), anchors: (o) => [anchorAt(o, 5), anchorAt(o, 12)], kind: 'truncated', seq: 9 },
    { name: 'a truncated tail is invisible without an anchor past it', tamper: (r) => r.slice(0, 8), anchors: (o) => [anchorAt(o, 5)], kind: null, seq: null },
    { name: 'the whole chain replaced with the key', tamper: () => chain(12).map((x) => x), anchors: () => [{ seq: 6, hash: 'a'.repeat(64), at: 1 }], kind: 'replaced', seq: 6 },
    { name: 'the whole chain replaced without the key', tamper: () => chain(12, Buffer.alloc(32, 9)), kind: 'changed', seq: 1 },
    { name: 'a row without a hash inside the chain', tamper: (r) => r.map((x) => (x.seq === 9 ? { ...x, hash: null, prev_hash: null } : x)), kind: 'unchained', seq: 9 },
  ]
  it.each(cases)('$name → $kind at $seq', ({ tamper, anchors, kind, seq }) => {
    const orig = chain(12)
    const f = verifyChain(key, tamper(orig.map((r) => ({ ...r }))), { anchors: anchors?.(orig) ?? [] })
    expect({ kind: f.kind, seq: f.firstBadSeq, ok: f.ok }).toEqual({ kind, seq, ok: kind === null })
    if (kind) expect(f.message).toMatch(new RegExp(String(seq)))
  })

  it('rows without hashes are never skipped, even at the start (blanking every hash must not pass)', () => {
    const blanked = chain(6).map((r) => ({ ...r, hash: null, prev_hash: null }))
    expect(verifyChain(key, blanked)).toMatchObject({ ok: false, kind: 'unchained', firstBadSeq: 1 })
  })

  it('verification can start after rows removed by retention, from the recorded link', () => {
    const rows = chain(20)
    const kept = rows.filter((r) => r.seq >= 11)
    expect(verifyChain(key, kept).ok).toBe(false)
    expect(verifyChain(key, kept, { from: { seq: 11, prevHash: rows[9]!.hash! } })).toMatchObject({ ok: true, rowsChecked: 10 })
  })

  it('property: any single-byte change in any row is found at exactly that row', () => {
    const rows = chain(30)
    fc.assert(fc.property(fc.integer({ min: 0, max: 29 }), fc.constantFrom('detail', 'actor', 'kind'), fc.integer({ min: 0, max: 1000 }), (i, field, pos) => {
      const copy = rows.map((r) => ({ ...r }))
      const value = copy[i]![field]
      const at = pos % value.length
      const flipped = value.slice(0, at) + String.fromCharCode(value.charCodeAt(at) ^ 1) + value.slice(at + 1)
      copy[i] = { ...copy[i]!, [field]: flipped }
      const f = verifyChain(key, copy)
      return f.kind === 'changed' && f.firstBadSeq === i + 1
    }))
  })
})
