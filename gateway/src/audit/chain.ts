import { createHmac } from 'node:crypto'

/**
 * The audit trail's keyed hash chain (issue 8). Each row stores the previous row's hash and its own
 * HMAC-SHA256 over its content and that previous hash. Without the key nobody can forge a row; the
 * key lives outside the database file. Anchors (the head's seq and hash, written where the gateway
 * cannot rewrite them) catch what a chain alone cannot: a truncated tail, or a chain rebuilt with the key.
 */

/** The `prev_hash` of the first chained row. */
export const GENESIS = '0'.repeat(64)

/** The stored columns of one audit row that the hash covers. */
export interface ChainRow {
  readonly seq: number
  readonly at: number
  readonly kind: string
  readonly actor: string
  readonly alert_id: string | null
  readonly device_id: string | null
  readonly person_id: string | null
  readonly event_seq: number | null
  /** The JSON text exactly as stored. */
  readonly detail: string
  readonly prev_hash: string | null
  readonly hash: string | null
}

/** A JSON array of the columns in a fixed order: unambiguous (no field can run into the next) and stable. */
function canonical(r: Omit<ChainRow, 'hash' | 'prev_hash'>, seq: number): string {
  return JSON.stringify([seq, r.at, r.kind, r.actor, r.alert_id, r.device_id, r.person_id, r.event_seq, r.detail])
}

/** The row's hash given its content, the seq it claims and the previous row's hash (hex). */
export function rowHash(key: Buffer, r: Omit<ChainRow, 'hash' | 'prev_hash'>, prevHash: string, seq = r.seq): string {
  return createHmac('sha256', key).update(prevHash).update('\n').update(canonical(r, seq)).digest('hex')
}

/** A chain head written outside the database. */
export interface Anchor {
  readonly seq: number
  readonly hash: string
  readonly at: number
}

export type BreakKind = 'changed' | 'deleted' | 'swapped' | 'truncated' | 'replaced' | 'unchained'

export interface ChainFinding {
  readonly ok: boolean
  readonly rowsChecked: number
  /** First row that does not verify (for `truncated`: the first missing seq). */
  readonly firstBadSeq: number | null
  readonly kind: BreakKind | null
  readonly message: string
  /** The last row that verified, which an anchor can be compared with. */
  readonly head: { seq: number; hash: string } | null
  readonly anchorsChecked: number
}

export interface VerifyOptions {
  /** Anchors to check the chain against, any order. */
  readonly anchors?: readonly Anchor[]
  /**
   * Where verification starts: the whole trail (undefined) or, after retention removed old rows, the
   * first kept row with the hash its predecessor had (`prevHash`), as recorded by the retention job.
   */
  readonly from?: { readonly seq: number; readonly prevHash: string }
  /** How far from its place a moved row is searched for to tell `swapped` from `changed`. */
  readonly swapWindow?: number
}

/**
 * Verifies rows in seq order, stopping at the first break, and names its kind:
 * - `changed`: a row's content no longer matches its own hash (a byte edited, in any column);
 * - `deleted`: one or more seqs are missing inside the chain;
 * - `swapped`: a row's content verifies only at another row's place (rows exchanged);
 * - `truncated`: an anchor names a seq beyond the last row;
 * - `replaced`: an anchor's seq is present but with another hash (the chain was rebuilt);
 * - `unchained`: a row carries no hash (every row is chained from the first).
 * `rows` must be in ascending seq order; it is read once (an iterator over the table is fine).
 */
export function verifyChain(key: Buffer, rows: Iterable<ChainRow>, opts: VerifyOptions = {}): ChainFinding {
  const iter = rows[Symbol.iterator]()
  try {
    return verifyRows(key, iter, opts)
  } finally {
    // Stopping early must release the source (a SQLite statement stays busy until its iterator is closed).
    iter.return?.()
  }
}

function verifyRows(key: Buffer, iter: Iterator<ChainRow>, opts: VerifyOptions): ChainFinding {
  const window = opts.swapWindow ?? 8
  const anchors = [...(opts.anchors ?? [])].sort((a, b) => a.seq - b.seq)
  let expectedPrev = opts.from?.prevHash ?? GENESIS
  let expectedSeq: number | null = opts.from?.seq ?? null
  let checked = 0
  let head: { seq: number; hash: string } | null = null
  let anchorIdx = 0
  let anchorsChecked = 0
  // Rows seen recently, so a row found out of place can be recognised as one moved from nearby.
  const recent: ChainRow[] = []
  const bad = (kind: BreakKind, seq: number, message: string): ChainFinding => ({ ok: false, rowsChecked: checked, firstBadSeq: seq, kind, message, head, anchorsChecked })

  const lookahead: ChainRow[] = []
  const next = (): ChainRow | undefined => lookahead.shift() ?? iter.next().value ?? undefined
  const peek = (n: number): ChainRow[] => {
    while (lookahead.length < n) {
      const r = iter.next()
      if (r.done) break
      lookahead.push(r.value)
    }
    return lookahead.slice(0, n)
  }

  for (let r = next(); r !== undefined; r = next()) {
    if (r.seq < (opts.from?.seq ?? -Infinity)) continue
    if (r.hash === null || r.prev_hash === null) {
      // Every row has been chained since the table was created: a row without a hash had it removed (which
      // would otherwise let someone without the key blank every hash and rewrite history unnoticed).
      return bad('unchained', r.seq, `row ${r.seq} has no hash: every row of the trail must be chained`)
    }
    if (expectedSeq !== null && r.seq !== expectedSeq) {
      if (r.seq > expectedSeq) return bad('deleted', r.seq, `row${r.seq - 1 > expectedSeq ? `s ${expectedSeq}–${r.seq - 1} are` : ` ${expectedSeq} is`} missing: row ${r.seq} follows row ${expectedSeq - 1}`)
    }
    const own = rowHash(key, r, r.prev_hash)
    if (own !== r.hash) {
      // Does this content verify at another seq nearby? Then rows were exchanged, not edited.
      const candidates = [...recent.map((x) => x.seq), ...peek(window).map((x) => x.seq)]
      const from = candidates.find((s) => s !== r!.seq && rowHash(key, r!, r!.prev_hash!, s) === r!.hash)
      if (from !== undefined) return bad('swapped', r.seq, `row ${r.seq} holds the content of row ${from}: rows ${Math.min(r.seq, from)} and ${Math.max(r.seq, from)} were exchanged`)
      return bad('changed', r.seq, `row ${r.seq} does not match its hash: its content was changed`)
    }
    if (r.prev_hash !== expectedPrev) {
      return bad('deleted', r.seq, head === null && expectedSeq === null
        ? `row ${r.seq} is the first row but links to an earlier row: the start of the trail was removed`
        : `row ${r.seq} does not link to row ${head?.seq ?? expectedSeq! - 1}: a row between them was removed or replaced`)
    }
    while (anchorIdx < anchors.length && anchors[anchorIdx]!.seq < r.seq) {
      // An anchor for a seq that was never in the table: only possible if rows were removed and renumbered.
      const a = anchors[anchorIdx++]!
      if (a.seq >= (opts.from?.seq ?? -Infinity)) return bad('replaced', a.seq, `anchor at seq ${a.seq} (${new Date(a.at).toISOString()}) names a row that is not in the trail`)
    }
    if (anchorIdx < anchors.length && anchors[anchorIdx]!.seq === r.seq) {
      const a = anchors[anchorIdx++]!
      anchorsChecked++
      if (a.hash !== r.hash) return bad('replaced', r.seq, `row ${r.seq} has another hash than the anchor written at ${new Date(a.at).toISOString()}: the chain was rebuilt`)
    }
    checked++
    head = { seq: r.seq, hash: r.hash }
    expectedPrev = r.hash
    expectedSeq = r.seq + 1
    recent.push(r)
    if (recent.length > window) recent.shift()
  }
  const beyond = anchors.slice(anchorIdx).find((a) => head === null || a.seq > head.seq)
  if (beyond) {
    const firstMissing = (head?.seq ?? 0) + 1
    return bad('truncated', firstMissing, `the trail ends at row ${head?.seq ?? 'none'} but an anchor written at ${new Date(beyond.at).toISOString()} names row ${beyond.seq}: rows from ${firstMissing} on were removed`)
  }
  return { ok: true, rowsChecked: checked, firstBadSeq: null, kind: null, message: `${checked} rows verified${anchors.length ? `, ${anchorsChecked} anchors matched` : ''}`, head, anchorsChecked }
}
