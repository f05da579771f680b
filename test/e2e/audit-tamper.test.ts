import Database from 'better-sqlite3'
import { cpSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowHash } from '../../gateway/src/audit/chain.js'
import { api, connectDevice, eventually, publishEvent } from '../helpers/clients.js'
import { verifyCli } from '../helpers/audit-cli.js'
import { type GatewayProcess, startGatewayProcess, tempDataDir } from '../helpers/gateway-process.js'

/** A copy of the pristine data directory, edited behind the gateway's back as an intruder with file access would. */
function tampered(pristine: string, edit: (db: Database.Database, key: Buffer) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-tamper-'))
  cpSync(pristine, dir, { recursive: true })
  const db = new Database(join(dir, 'gateway.db'))
  // The append-only triggers stop the gateway, not someone holding the file.
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete')
  edit(db, Buffer.from(readFileSync(join(dir, 'audit.key'), 'utf8').trim(), 'hex'))
  db.close()
  return dir
}

interface Row { seq: number; at: number; kind: string; actor: string; alert_id: string | null; device_id: string | null; person_id: string | null; event_seq: number | null; detail: string; prev_hash: string; hash: string }

describe('tamper evidence: the verifier\'s exact finding for each kind of edit to the SQLite file', () => {
  let pristine: string
  let rows: Row[]
  beforeAll(async () => {
    pristine = tempDataDir()
    const gw = await startGatewayProcess({ dataDir: pristine })
    const monitor = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    for (let i = 0; i < 5; i++) await publishEvent(monitor, 'sz-r14', { type: 'heartbeat' })
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
    await monitor.endAsync()
    await eventually(async () => (await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/alerts?state=open')).body.alerts.length > 0, 'the seizure alert')
    // A clean stop writes the final anchor.
    await gw.kill('SIGTERM')
    const db = new Database(join(pristine, 'gateway.db'), { readonly: true })
    rows = db.prepare('SELECT * FROM audit ORDER BY seq').all() as Row[]
    db.close()
  })

  it('an untouched trail verifies, every row chained, the final anchor matching the last row', () => {
    expect(rows.length).toBeGreaterThan(15)
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true)
    const anchors = readFileSync(join(pristine, 'audit-anchors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(anchors.at(-1)).toMatchObject({ seq: rows.at(-1)!.seq, hash: rows.at(-1)!.hash })
    const r = verifyCli(pristine)
    expect(r.out).not.toContain('BROKEN')
    expect(r.code).toBe(0)
    expect(r.report).toMatchObject({ ok: true, rowsChecked: rows.length, kind: null })
  })

  const mid = () => rows[Math.floor(rows.length / 2)]!.seq
  const cases: { name: string; edit: (db: Database.Database, key: Buffer) => void; kind: string; seq: () => number }[] = [
    {
      name: 'one byte changed in a row',
      edit: (db) => db.prepare("UPDATE audit SET detail = substr(detail, 1, 2) || char(unicode(substr(detail, 3, 1)) + 1) || substr(detail, 4) WHERE seq = ?").run(mid()),
      kind: 'changed', seq: mid,
    },
    { name: 'one row deleted', edit: (db) => db.prepare('DELETE FROM audit WHERE seq = ?').run(mid()), kind: 'deleted', seq: () => mid() + 1 },
    {
      name: 'two rows swapped',
      edit: (db) => {
        const [a, b] = [rows.find((r) => r.seq === mid())!, rows.find((r) => r.seq === mid() + 1)!]
        const set = db.prepare('UPDATE audit SET at = @at, kind = @kind, actor = @actor, alert_id = @alert_id, device_id = @device_id, person_id = @person_id, event_seq = @event_seq, detail = @detail, prev_hash = @prev_hash, hash = @hash WHERE seq = @target')
        set.run({ ...b, target: a.seq })
        set.run({ ...a, target: b.seq })
      },
      kind: 'swapped', seq: mid,
    },
    { name: 'the tail truncated', edit: (db) => db.prepare('DELETE FROM audit WHERE seq > ?').run(rows.at(-4)!.seq), kind: 'truncated', seq: () => rows.at(-3)!.seq },
    {
      name: 'the whole chain replaced (rebuilt with the key after editing a row)',
      edit: (db, key) => {
        const all = db.prepare('SELECT * FROM audit ORDER BY seq').all() as Row[]
        db.prepare('DELETE FROM audit').run()
        const insert = db.prepare('INSERT INTO audit (seq, at, kind, actor, alert_id, device_id, person_id, event_seq, detail, prev_hash, hash) VALUES (@seq, @at, @kind, @actor, @alert_id, @device_id, @person_id, @event_seq, @detail, @prev_hash, @hash)')
        let prev = '0'.repeat(64)
        for (const r of all) {
          const row = r.seq === 3 ? { ...r, actor: 'user:nobody' } : r
          const hash = rowHash(key, row, prev)
          insert.run({ ...row, prev_hash: prev, hash })
          prev = hash
        }
      },
      // The first anchor is written just after start-up verification; every row from 3 on now differs.
      kind: 'replaced', seq: () => firstAnchorSeq(),
    },
  ]
  const firstAnchorSeq = () => (JSON.parse(readFileSync(join(pristine, 'audit-anchors.jsonl'), 'utf8').split('\n')[0]!) as { seq: number }).seq

  it.each(cases)('$name → $kind', ({ edit, kind, seq }) => {
    const dir = tampered(pristine, edit)
    const r = verifyCli(dir)
    expect(r.code, r.out).toBe(1)
    expect({ kind: r.report.kind, firstBadSeq: r.report.firstBadSeq, ok: r.report.ok }).toEqual({ kind, firstBadSeq: seq(), ok: false })
    expect(r.report.message).toContain(String(seq()))
  })

  describe('start-up on a tampered trail', () => {
    let gw: GatewayProcess
    beforeAll(async () => {
      gw = await startGatewayProcess({ dataDir: tampered(pristine, (db) => db.prepare("UPDATE audit SET actor = 'user:someone-else' WHERE seq = 4").run()) })
    })
    afterAll(async () => {
      await gw?.kill('SIGTERM')
    })

    it('does not run silently: it logs the break, audits it and raises a high-priority technical alert', async () => {
      expect(gw.logs.some((l) => l.includes('AUDIT TRAIL VERIFICATION FAILED') && l.includes('"first_bad_seq":4'))).toBe(true)
      const alerts = (await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/alerts?state=open')).body.alerts
      expect(alerts.find((a: any) => a.alert_class === 'AUDIT TRAIL BROKEN')).toMatchObject({ kind: 'technical', priority: 'high' })
      const broken = (await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/audit?kind=audit.chain_broken')).body.entries
      expect(broken).toHaveLength(1)
      expect(broken[0].detail).toMatchObject({ kind: 'changed', first_bad_seq: 4 })
      // The API's full verification (in a worker thread) says the same.
      const v = await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/audit/verify')
      expect(v.body).toMatchObject({ ok: false, kind: 'changed', first_bad_seq: 4 })
      // A carer may not run it.
      expect((await api(gw.httpPort, gw.credentials.users['c-bob']!, '/api/audit/verify')).status).toBe(403)
    })
  })

  describe('start-up on an edited row padded past the start-up check\'s byte budget', () => {
    let gw: GatewayProcess
    let seq: number
    beforeAll(async () => {
      // Near the head, and bigger than STARTUP_TAIL_BYTES (16 MB), so the check before listening stops short of it.
      seq = rows.at(-3)!.seq
      gw = await startGatewayProcess({ dataDir: tampered(pristine, (db) => db.prepare("UPDATE audit SET detail = json_set(detail, '$.padding', ?) WHERE seq = ?").run('x'.repeat(17 * 2 ** 20), seq)) })
    })
    afterAll(async () => {
      await gw?.kill('SIGTERM')
    })

    it('is found by the check that follows start-up, and alarmed like any break', async () => {
      const leader = gw.credentials.users['tl-kim']!
      const broken = await eventually(async () => {
        const entries = (await api(gw.httpPort, leader, '/api/audit?kind=audit.chain_broken')).body.entries as { detail: Record<string, unknown> }[]
        return entries.length > 0 && entries
      }, 'audit.chain_broken recorded')
      expect(broken).toHaveLength(1)
      expect(broken[0]!.detail).toMatchObject({ kind: 'changed', first_bad_seq: seq })
      expect(gw.logs.some((l) => l.includes('AUDIT TRAIL VERIFICATION FAILED') && l.includes(`"first_bad_seq":${seq}`))).toBe(true)
      const alerts = (await api(gw.httpPort, leader, '/api/alerts?state=open')).body.alerts
      expect(alerts.find((a: any) => a.alert_class === 'AUDIT TRAIL BROKEN')).toMatchObject({ kind: 'technical', priority: 'high' })
      // The check before listening passed (it stopped at the budget); the one after it did not.
      const started = (await api(gw.httpPort, leader, '/api/audit?kind=gateway.started')).body.entries
      expect(started.at(-1).detail).toMatchObject({ audit_chain: 'verified' })
      expect(gw.logs.some((l) => l.includes('audit tail verified after start-up') && l.includes('"ok":false'))).toBe(true)
    })
  })
})
