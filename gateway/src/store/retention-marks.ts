import type { Db } from './db.js'

/** Where the kept audit trail starts after retention removed older rows, or null when nothing was removed. */
export function retentionStart(db: Db): { seq: number; prevHash: string } | null {
  const r = db.prepare('SELECT first_kept_seq, first_kept_prev_hash FROM audit_retention ORDER BY id DESC LIMIT 1').get() as { first_kept_seq: number; first_kept_prev_hash: string } | undefined
  return r ? { seq: r.first_kept_seq, prevHash: r.first_kept_prev_hash } : null
}
