import { type Anchor, type ChainFinding, type ChainRow, verifyChain } from '../audit/chain.js'
import type { Db } from './db.js'
import { retentionStart } from './retention-marks.js'

const columns = 'seq, at, kind, actor, alert_id, device_id, person_id, event_seq, detail, prev_hash, hash'

/** The chain's head: the last row's seq and hash (null for an empty or unchained trail). */
export function chainHead(db: Db): { seq: number; hash: string } | null {
  const r = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string | null } | undefined
  return r && r.hash ? { seq: r.seq, hash: r.hash } : null
}

/** True once any row is chained (then the key file must exist). */
export function hasChainedRows(db: Db): boolean {
  return db.prepare('SELECT 1 FROM audit WHERE hash IS NOT NULL LIMIT 1').get() !== undefined
}

/**
 * Verifies the stored trail against the key and anchors. `tailRows` checks only the newest rows (start-up:
 * fast on a large trail), and `tailBytes` at most that much row detail of them (one routine-events digest can hold
 * a thousand events), trusting the link into the first of them, plus every anchor from there on and the newest
 * anchor before it (looked up directly), so a truncation or rebuild is still caught at start.
 * Verification starts where retention's latest mark says the kept trail begins (or at `from`, if given).
 */
export function verifyStoredTrail(db: Db, key: Buffer, anchors: readonly Anchor[], options: { tailRows?: number; tailBytes?: number; from?: { seq: number; prevHash: string } } = {}): ChainFinding {
  // Where the kept trail starts after retention (its recorded mark), unless the caller says otherwise.
  const mark = options.from ?? retentionStart(db)
  const opts = { ...options, ...(mark ? { from: mark } : {}) }
  let from = opts.from
  let extra: ChainFinding | null = null
  if (opts.tailRows !== undefined) {
    const max = (db.prepare('SELECT max(seq) FROM audit').pluck().get() as number | null) ?? 0
    let start = Math.max(from?.seq ?? 1, max - opts.tailRows + 1)
    if (opts.tailBytes !== undefined) {
      // The oldest row whose detail, with every newer row's, still fits: octet_length reads each row's size from its
      // header, not its text, so this costs milliseconds however large the rows are.
      const fits = db.prepare(`SELECT min(seq) FROM (SELECT seq, sum(octet_length(detail)) OVER (ORDER BY seq DESC) AS bytes FROM audit WHERE seq >= ?) WHERE bytes <= ?`).pluck().get(start, opts.tailBytes) as number | null
      // Always at least the head row, however large.
      start = Math.max(start, fits ?? max)
    }
    const first = db.prepare('SELECT seq, prev_hash FROM audit WHERE seq >= ? ORDER BY seq LIMIT 1').get(start) as { seq: number; prev_hash: string | null } | undefined
    if (first?.prev_hash) from = { seq: first.seq, prevHash: first.prev_hash }
    // Anchors of rows that retention removed (before `opts.from`) name rows that are rightly gone.
    const before = [...anchors].filter((a) => a.seq < (from?.seq ?? 0) && a.seq >= (opts.from?.seq ?? 0)).sort((a, b) => b.seq - a.seq)[0]
    if (before) {
      const row = db.prepare('SELECT hash FROM audit WHERE seq = ?').get(before.seq) as { hash: string | null } | undefined
      if (!row) extra = { ok: false, rowsChecked: 0, firstBadSeq: before.seq, kind: 'deleted', message: `row ${before.seq}, named by the anchor written at ${new Date(before.at).toISOString()}, is missing`, head: null, anchorsChecked: 0 }
      else if (row.hash !== before.hash) extra = { ok: false, rowsChecked: 0, firstBadSeq: before.seq, kind: 'replaced', message: `row ${before.seq} has another hash than the anchor written at ${new Date(before.at).toISOString()}: the chain was rebuilt`, head: null, anchorsChecked: 0 }
    }
  }
  // A retention mark alone is not trusted: anyone with the file could delete old rows and write one. The
  // retention job records each cut in a chained `retention.applied` row, which only the key can produce.
  if (opts.from && !db.prepare("SELECT 1 FROM audit WHERE seq >= ? AND kind = 'retention.applied' AND json_extract(detail, '$.audit_cut.first_kept_seq') = ? LIMIT 1").get(opts.from.seq, opts.from.seq)) {
    return { ok: false, rowsChecked: 0, firstBadSeq: opts.from.seq, kind: 'deleted', message: `the trail starts at row ${opts.from.seq} by a retention mark that no retention.applied row in the chain records: the rows before it were removed outside the retention job`, head: null, anchorsChecked: 0 }
  }
  const rows = db.prepare(`SELECT ${columns} FROM audit WHERE seq >= ? ORDER BY seq`).iterate(from?.seq ?? 0) as IterableIterator<ChainRow>
  const usable = anchors.filter((a) => a.seq >= (from?.seq ?? 0))
  const finding = verifyChain(key, rows, { anchors: usable, ...(from ? { from } : {}) })
  if (extra && (finding.ok || (finding.firstBadSeq ?? Infinity) > (extra.firstBadSeq ?? 0))) return extra
  return finding
}
