import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { beforeEach, describe, expect, it } from 'vitest'
import { readAnchors } from '../audit/anchor-file.js'
import { loadAuditKey } from '../audit/key-file.js'
import { ManualClock } from '../core/clock.js'
import { retentionSchema } from '../privacy/retention-config.js'
import { verifyStoredTrail } from '../store/audit-integrity.js'
import { GroupCommitter } from '../store/group-commit.js'
import { createRepositories, type Db, openDatabase } from '../store/index.js'
import { retentionStart } from '../store/retention-marks.js'
import { createRetentionRepo } from '../store/retention-repo.js'
import { createAuditIntegrity } from './audit-integrity.js'
import { verifyAuditFiles } from './audit-verify.js'
import { createRetentionJob, type RetentionReport } from './retention-job.js'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 10, 28, 3, 0, 0)
const ago = (days: number) => NOW - days * DAY
const log = pino({ level: 'silent' })

/** A real database file with a chained trail, seeded with rows of known ages; the job runs on an injected clock. */
function world(settings = { telemetry_days: 30, alerts_days: 365, audit_days: 400 }, batchSize = 500) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-retention-'))
  const files = { dbFile: join(dir, 'gateway.db'), keyFile: join(dir, 'audit.key'), anchorFile: join(dir, 'audit-anchors.jsonl') }
  const db = openDatabase(files.dbFile)
  const key = loadAuditKey(files.keyFile, true)
  const repos = createRepositories(db, { auditKey: key })
  const committer = new GroupCommitter(db, () => undefined)
  const clock = new ManualClock(NOW)
  const integrity = createAuditIntegrity({ db, key, anchorFile: files.anchorFile, log, now: () => clock.now(), intervalMs: 60_000 })
  const job = createRetentionJob({
    repo: createRetentionRepo(db), audit: repos.audit, transact: (run) => committer.submit(run), settings: () => settings, clock,
    anchor: () => void integrity.anchorNow(), log, batchSize, pause: async () => undefined,
  })
  return { db, files, key, repos, clock, integrity, job }
}

let n = 0
function journal(db: Db, device: string, receivedAt: number): number {
  return Number(db.prepare("INSERT INTO journal (site_id, device_id, event_id, type, device_at, received_at, status) VALUES ('oak-house', ?, ?, 'out_of_bed', ?, ?, 'processed')").run(device, `e-${n++}`, receivedAt, receivedAt).lastInsertRowid)
}
function alert(db: Db, id: string, state: string, raisedAt: number, closedAt: number | null, triggerSeq: number | null = null): void {
  db.prepare(`INSERT INTO alerts (id, site_id, person_id, device_id, rule_id, rule_version, condition_key, kind, alert_class, priority, state, raised_at, updated_at, trigger_event_seq, closed_at, outcome, outcome_note)
    VALUES (?, 'oak-house', 'p-001', 'bed-r12', 'bed', 'v1', ?, 'care', 'BED EXIT', 'medium', ?, ?, ?, ?, ?, ?, ?)`).run(id, `k-${id}`, state, raisedAt, closedAt ?? raisedAt, triggerSeq, closedAt, closedAt ? 'real' : null, closedAt ? 'note' : null)
  db.prepare(`INSERT INTO notifications (id, alert_id, user_id, pager_id, protocol, attempt, state, text, created_at, updated_at) VALUES (?, ?, 'c-amy', 'soft-amy', 'soft', 1, 'cancelled', 'R12 BED EXIT', ?, ?)`).run(`nt-${id}`, id, raisedAt, raisedAt)
}
function suppression(db: Db, id: string, expiresAt: number): void {
  db.prepare("INSERT INTO suppressions (id, kind, scope, target, reason, set_by, set_at, expires_at) VALUES (?, 'away', 'person', 'p-001', 'in hospital', 'user:tl-kim', ?, ?)").run(id, expiresAt - DAY, expiresAt)
}
const count = (db: Db, sql: string, ...args: unknown[]) => db.prepare(sql).pluck().get(...args) as number

describe('retention job: what each class keeps and removes (settings: telemetry 30 d, alerts 365 d, audit 400 d)', () => {
  let w: ReturnType<typeof world>
  let report: RetentionReport
  let seqs: Record<string, number>
  beforeEach(async () => {
    w = world()
    const { db, repos } = w
    seqs = { old: journal(db, 'bed-r12', ago(31)), recent: journal(db, 'bed-r12', ago(29)), oldOfOpenAlert: journal(db, 'bed-r12', ago(90)) }
    alert(db, 'al-old-closed', 'closed', ago(400), ago(366))
    alert(db, 'al-recent-closed', 'closed', ago(400), ago(364))
    alert(db, 'al-old-open', 'acknowledged', ago(90), null, seqs.oldOfOpenAlert)
    alert(db, 'al-old-cancelled', 'cancelled', ago(500), null)
    suppression(db, 'sp-old', ago(366))
    suppression(db, 'sp-recent', ago(364))
    // The trail: rows a year and more old, then recent ones; each close note goes to personal_data.
    for (const days of [500, 450, 401, 401]) repos.audit.append({ at: ago(days), kind: 'alert.transition', actor: 'user:c-amy', alertId: 'al-old-closed', personId: 'p-001', detail: { to: 'closed', note: `note ${days}` } })
    await w.integrity.anchorNow()
    for (const days of [399, 10]) repos.audit.append({ at: ago(days), kind: 'alert.transition', actor: 'user:c-amy', alertId: 'al-recent-closed', personId: 'p-001', detail: { to: 'closed', note: `note ${days}` } })
    report = await w.job.runOnce()
  })

  it.each<[string, string, unknown[], number]>([
    ['a raw event past the telemetry period is removed', 'SELECT count(*) FROM journal WHERE seq = ?', ['old'], 0],
    ['a raw event within the telemetry period is kept', 'SELECT count(*) FROM journal WHERE seq = ?', ['recent'], 1],
    ['an old raw event an open alert was raised by is kept', 'SELECT count(*) FROM journal WHERE seq = ?', ['oldOfOpenAlert'], 1],
    ['a closed alert past the alerts period is removed', "SELECT count(*) FROM alerts WHERE id = 'al-old-closed'", [], 0],
    ['its notifications go with it', "SELECT count(*) FROM notifications WHERE alert_id = 'al-old-closed'", [], 0],
    ['a closed alert within the period is kept', "SELECT count(*) FROM alerts WHERE id = 'al-recent-closed'", [], 1],
    ['an open alert is kept whatever its age', "SELECT count(*) FROM alerts WHERE id = 'al-old-open'", [], 1],
    ['a cancelled (not yet closed) alert is kept', "SELECT count(*) FROM alerts WHERE id = 'al-old-cancelled'", [], 1],
    ['a suppression that expired before the alerts period is removed', "SELECT count(*) FROM suppressions WHERE id = 'sp-old'", [], 0],
    ['a suppression that expired within it is kept', "SELECT count(*) FROM suppressions WHERE id = 'sp-recent'", [], 1],
    ['audit rows older than the audit period are removed', 'SELECT count(*) FROM audit WHERE at < ?', [ago(400)], 0],
    ['audit rows within the period are kept', 'SELECT count(*) FROM audit WHERE at >= ? AND kind = ?', [ago(400), 'alert.transition'], 2],
    ['personal data older than the audit period is removed with its rows', 'SELECT count(*) FROM personal_data WHERE created_at < ?', [ago(400)], 0],
    ['personal data of kept rows is kept', 'SELECT count(*) FROM personal_data', [], 2],
  ])('%s', (_name, sql, args, expected) => {
    expect(count(w.db, sql, ...args.map((a) => (typeof a === 'string' && a in seqs ? seqs[a] : a)))).toBe(expected)
  })

  it('reports counts and cut-offs, and audits itself before and after', () => {
    expect(report.removed).toEqual({ journal: 1, alerts: 1, notifications: 1, suppressions: 1, personal_data: 4, audit: 4 })
    expect(report.cutoffs).toEqual({ telemetry: new Date(ago(30)).toISOString(), alerts: new Date(ago(365)).toISOString(), audit: new Date(ago(400)).toISOString(), personal_data: new Date(ago(400)).toISOString() })
    const rows = w.repos.audit.search({ kind: 'retention.applied', limit: 10 })
    expect(rows.map((r) => r.detail.status)).toEqual(['started', 'completed'])
    expect(rows[1]!.detail).toMatchObject({ removed: report.removed, audit_cut: { removed_through_seq: 4, first_kept_seq: 5 } })
  })

  it('leaves a trail that verifies from the mark: whole (the CLI\'s check), at start-up (tail), with the anchor of a removed row still in the file', () => {
    expect(retentionStart(w.db)).toMatchObject({ seq: 5 })
    const anchors = readAnchors(w.files.anchorFile).anchors
    expect(anchors.map((a) => a.seq)).toEqual([4, w.db.prepare('SELECT max(seq) FROM audit').pluck().get()])
    expect(verifyAuditFiles(w.files)).toMatchObject({ ok: true, verifiedFromSeq: 5 })
    expect(w.integrity.checkAtStart()).toMatchObject({ ok: true })
    expect(verifyStoredTrail(w.db, w.key, anchors, { tailRows: 2, from: retentionStart(w.db)! })).toMatchObject({ ok: true })
  })

  it('a retention mark written by someone else (old rows deleted, a mark inserted) is found, not trusted', () => {
    // Forge: delete through row 6 and record a mark as if retention had kept from 7.
    const seven = w.db.prepare('SELECT prev_hash FROM audit WHERE seq = 7').pluck().get() as string
    w.db.transaction(() => {
      w.db.prepare('INSERT INTO audit_delete_window (id) VALUES (1)').run()
      w.db.prepare('DELETE FROM audit WHERE seq <= 6').run()
      w.db.prepare('DELETE FROM audit_delete_window').run()
      w.db.prepare('INSERT INTO audit_retention (at, removed_through_seq, first_kept_seq, first_kept_prev_hash) VALUES (?, 6, 7, ?)').run(NOW, seven)
    })()
    expect(verifyAuditFiles(w.files)).toMatchObject({ ok: false, kind: 'deleted', firstBadSeq: 7 })
    expect(w.integrity.checkAtStart()).toMatchObject({ ok: false, kind: 'deleted', firstBadSeq: 7 })
  })

  it('shows "(erased)" for the personal text of kept rows whose values retention removed', async () => {
    w.db.prepare('DELETE FROM personal_data').run()
    expect(w.repos.audit.search({ kind: 'alert.transition', limit: 10 }).map((r) => r.detail.note)).toEqual(['(erased)', '(erased)'])
  })

  it('a second run the same day removes nothing more and still verifies', async () => {
    const again = await w.job.runOnce()
    expect(again.removed).toEqual({ journal: 0, alerts: 0, notifications: 0, suppressions: 0, personal_data: 0, audit: 0 })
    expect(again.audit_cut).toBeNull()
    expect(verifyAuditFiles(w.files)).toMatchObject({ ok: true })
  })
})

describe('retention job: bounded batches and time', () => {
  it.each([[1], [3], [7], [500]])('with batches of %i rows it removes the same rows and the trail verifies', async (batch) => {
    const w = world({ telemetry_days: 30, alerts_days: 365, audit_days: 400 }, batch)
    for (let i = 0; i < 10; i++) journal(w.db, 'bed-r12', ago(40 + i))
    for (let i = 0; i < 12; i++) w.repos.audit.append({ at: ago(420 - i), kind: 'event.received', actor: 'device:bed-r12', deviceId: 'bed-r12', detail: { i } })
    await w.integrity.anchorNow()
    w.repos.audit.append({ at: ago(1), kind: 'event.received', actor: 'device:bed-r12', deviceId: 'bed-r12', detail: { i: 'new' } })
    const r = await w.job.runOnce()
    expect(r.removed).toMatchObject({ journal: 10, audit: 12 })
    // Every batch is one transaction of at most `batch` rows: journal and audit each take ⌈n/batch⌉ (+1 when n divides evenly).
    expect(r.batches).toBeGreaterThanOrEqual(Math.ceil(10 / batch) + Math.ceil(12 / batch) + 3)
    expect(verifyAuditFiles(w.files)).toMatchObject({ ok: true, verifiedFromSeq: 13 })
    expect(w.integrity.checkAtStart()).toMatchObject({ ok: true })
  })

  it('uses the injected clock: nothing is old until the clock moves on', async () => {
    const w = world({ telemetry_days: 30, alerts_days: 365, audit_days: 400 })
    journal(w.db, 'bed-r12', NOW - DAY)
    expect((await w.job.runOnce()).removed.journal).toBe(0)
    w.clock.advance(30 * DAY)
    expect((await w.job.runOnce()).removed.journal).toBe(1)
  })

  it('never removes the newest audit row, even when every row is older than the period', async () => {
    const w = world({ telemetry_days: 1, alerts_days: 1, audit_days: 1 })
    for (let i = 0; i < 3; i++) w.repos.audit.append({ at: ago(10 - i), kind: 'gateway.started', actor: 'gateway', detail: {} })
    w.clock.advance(0)
    const r = await w.job.runOnce()
    // The "started" row is new, so the three old ones go and the trail carries on from them.
    expect(r.removed.audit).toBe(3)
    expect(verifyAuditFiles(w.files)).toMatchObject({ ok: true })
  })
})

describe('retention settings', () => {
  it.each<[string, unknown, boolean]>([
    ['the defaults', {}, true],
    ['a shorter personal data period', { personal_data_days: 365 }, true],
    ['an audit period shorter than the alerts period', { alerts_days: 3000, audit_days: 2000 }, false],
    ['zero days', { telemetry_days: 0 }, false],
    ['an unknown key', { forever: true }, false],
  ])('%s', (_name, raw, ok) => {
    expect(retentionSchema.safeParse(raw).success).toBe(ok)
  })
  it('defaults to 30 days of telemetry and 8 years of alerts and audit', () => {
    expect(retentionSchema.parse({})).toEqual({ telemetry_days: 30, alerts_days: 2922, audit_days: 2922 })
  })
})
