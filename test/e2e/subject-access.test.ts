import Database from 'better-sqlite3'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, eventually, publishEvent } from '../helpers/clients.js'
import { verifyCli } from '../helpers/audit-cli.js'
import { type GatewayProcess, startGatewayProcess, tempDataDir } from '../helpers/gateway-process.js'

/**
 * Columns holding encoded random bytes (scrypt salts and hashes, token hashes, CSRF tokens): a short needle such as
 * a room code turns up in them by chance (CI once found 'R14' in a secret hash), and they cannot hold anyone's text.
 */
const RANDOM_ENCODED = new Set(['credentials.secret_hash', 'user_passwords.password_hash', 'sessions.id_hash', 'sessions.csrf', 'one_time_tokens.token_hash'])

/** Every string value of every column of every table that contains `needle` (case-sensitive), as `table.column`. */
function findInDatabase(file: string, needle: string): string[] {
  const db = new Database(file, { readonly: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]
    return tables.flatMap((t) => (db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[])
      .flatMap((row) => Object.entries(row).filter(([, v]) => (typeof v === 'string' || Buffer.isBuffer(v)) && v.includes(needle)).map(([c]) => `${t}.${c}`).filter((at) => !RANDOM_ENCODED.has(at))))
  } finally {
    db.close()
  }
}

// Distinctive text, so a hit anywhere in the file can only be theirs.
const NOTE = 'Found him sitting by the wardrobe, settled him with a drink'
const REASON = 'Admitted to St Elsewhere ward 7 (chest infection)'
const NEW_ROOM = 'W9 Q7'
const OLD_ROOM = 'R14'
const OTHER_NOTE = 'Back to bed after the bathroom, no harm'

describe('subject access export and erasure for one person (issue 8)', () => {
  let gw: GatewayProcess
  let dataDir: string
  let ann: string, raj: string, kim: string, bob: string, amy: string
  let monitor: MqttClient
  let alertId: string
  let exported: any
  let heartbeatId: string, otherHeartbeatId: string

  const active = async () => (await api(gw.httpPort, ann, '/api/config')).body as { version: number; document: { people: Record<string, unknown>[] } }
  const openAlert = (person: string) => eventually(async () => ((await api(gw.httpPort, kim, '/api/alerts?state=open')).body.alerts as { id: string; person_id: string }[]).find((a) => a.person_id === person), `an open alert for ${person}`)
  const acceptAndClose = async (token: string, id: string, note: string) => {
    expect((await api(gw.httpPort, token, `/api/alerts/${id}/accept`, { method: 'POST' })).status).toBe(200)
    expect((await api(gw.httpPort, token, `/api/alerts/${id}/close`, { method: 'POST', body: { outcome: 'real', note } })).status).toBe(200)
  }

  beforeAll(async () => {
    dataDir = tempDataDir()
    gw = await startGatewayProcess({ dataDir })
    const u = gw.credentials.users
    ;[ann, raj, kim, bob, amy] = [u['at-ann']!, u['au-raj']!, u['tl-kim']!, u['c-bob']!, u['c-amy']!]
    // Their configuration changes: a new room code, and a restriction.
    const cfg = await active()
    const p2 = cfg.document.people.find((p) => p.id === 'p-002')!
    const put = await api(gw.httpPort, ann, '/api/config/people/p-002', { method: 'PUT', body: { entity: { ...p2, room_code: NEW_ROOM, restrictions: ['no_in_room_sounder'] }, base_version: cfg.version, note: 'room move CHG-31' } })
    expect(put.status).toBe(200)
    // An alert raised and closed with a note.
    monitor = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
    alertId = (await openAlert('p-002')).id
  }, 60_000)

  afterAll(async () => {
    await monitor?.endAsync().catch(() => undefined)
    await gw?.kill()
  })

  it('refuses to erase while the person has open alerts, naming them (and audits the refusal)', async () => {
    const r = await api(gw.httpPort, ann, '/api/people/p-002/erase', { method: 'POST', body: { note: 'DSAR-2031' } })
    expect(r.status).toBe(409)
    expect(r.body.error).toMatchObject({ code: 'GW_ERR_SUBJECT_OPEN_ALERTS' })
    expect(r.body.error.message).toContain(alertId)
    const refused = (await api(gw.httpPort, raj, '/api/audit/search?kind=command.refused&person=p-002')).body.entries
    expect(refused.at(-1)).toMatchObject({ actor: 'user:at-ann', detail: { command: 'erase', code: 'GW_ERR_SUBJECT_OPEN_ALERTS' } })
  })

  it('collects a closed alert with a note, a suppression with a reason and a suppressed decision, and another person\'s alert', async () => {
    await acceptAndClose(bob, alertId, NOTE)
    const sup = await api(gw.httpPort, kim, '/api/suppressions', { method: 'POST', body: { kind: 'away', person_id: 'p-002', reason: REASON, duration_s: 3600 } })
    expect(sup.status).toBe(201)
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_cleared' })
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
    await eventually(async () => ((await api(gw.httpPort, raj, '/api/audit/search?kind=rule.decision&person=p-002')).body.entries as { detail: { outcome: string } }[]).some((e) => e.detail.outcome === 'suppress'), 'the suppressed decision')
    // A routine event, audited in a digest row (README, "Routine events, one row per commit").
    heartbeatId = await publishEvent(monitor, 'sz-r14', { type: 'heartbeat' })
    // p-001, whose data must survive p-002's erasure untouched.
    const bed = await connectDevice(gw.mqttPort, 'bed-r12', gw.credentials.devices['bed-r12']!)
    otherHeartbeatId = await publishEvent(bed, 'bed-r12', { type: 'heartbeat' })
    await publishEvent(bed, 'bed-r12', { type: 'in_bed' })
    await publishEvent(bed, 'bed-r12', { type: 'out_of_bed' })
    await bed.endAsync()
    await acceptAndClose(amy, (await openAlert('p-001')).id, OTHER_NOTE)
  })

  it('exports everything held about the person to AT admins and auditors only', async () => {
    expect((await api(gw.httpPort, bob, '/api/people/p-002/subject-access')).status).toBe(403)
    expect((await api(gw.httpPort, kim, '/api/people/p-002/subject-access')).status).toBe(403)
    expect((await api(gw.httpPort, raj, '/api/people/p-404/subject-access')).body.error.code).toBe('GW_ERR_SUBJECT_NOT_FOUND')
    const r = await api(gw.httpPort, raj, '/api/people/p-002/subject-access')
    expect(r.status).toBe(200)
    exported = r.body
  })

  it.each<[string, (e: any) => unknown]>([
    ['their current configuration entry', (e) => e.configuration.current.person.room_code === NEW_ROOM && e.configuration.current.person.restrictions[0] === 'no_in_room_sounder'],
    ['every version of their entry, the old room code included', (e) => e.configuration.changes.map((c: any) => c.person.room_code).join() === `${OLD_ROOM},${NEW_ROOM}` && e.configuration.versions_mentioning.length >= 2],
    ['their devices', (e) => e.devices.join() === 'sz-r14'],
    ['their rules and rule versions', (e) => e.rules[0].id === 'seizure' && e.rule_versions.some((v: any) => v.rule_id === 'seizure' && v.rule_json.kind === 'immediate')],
    ['their alerts with the close note', (e) => e.alerts.some((a: any) => a.id === alertId && a.outcome_note === NOTE)],
    ['the pages about them', (e) => e.notifications.some((n: any) => n.alert_id === alertId && n.text.startsWith(`${NEW_ROOM} SEIZURE`))],
    ['their suppression with its reason', (e) => e.suppressions.some((s: any) => s.reason === REASON && s.target === 'p-002')],
    ['the raw events of their devices', (e) => e.journal.length >= 3 && e.journal.every((j: any) => j.device_id === 'sz-r14')],
    ['the audit rows of the close, with the note resolved', (e) => e.audit.some((a: any) => a.kind === 'alert.transition' && a.detail.event === 'close' && a.detail.note === NOTE)],
    ['the audit rows of the suppression and the suppressed decision, with the reason', (e) => e.audit.some((a: any) => a.kind === 'suppression.set' && a.detail.reason === REASON) && e.audit.some((a: any) => a.kind === 'rule.decision' && a.detail.reason.includes(REASON))],
    ['the audit row of the configuration change, before and after', (e) => e.audit.some((a: any) => a.kind === 'config.changed' && a.detail.before?.room_code === OLD_ROOM && a.detail.after?.room_code === NEW_ROOM)],
    ['the audit rows of their pages and events', (e) => e.audit.some((a: any) => a.kind === 'notification.transition' && String(a.detail.text).startsWith(NEW_ROOM)) && e.audit.some((a: any) => a.kind === 'event.received' && a.device_id === 'sz-r14')],
    ['their routine events, from the digest rows', (e) => e.audit.filter((a: any) => a.kind === 'event.received' && a.detail.event_id === heartbeatId && a.device_id === 'sz-r14').length === 1],
    ['their personal data values', (e) => [NOTE, REASON, NEW_ROOM, OLD_ROOM].every((v) => e.personal_data.some((p: any) => JSON.stringify(p.value).includes(v)))],
  ])('the export holds %s', (_what, check) => {
    expect(check(exported)).toBeTruthy()
  })

  it('the export holds nothing of the other person, and is itself audited', async () => {
    const text = JSON.stringify(exported)
    expect(text).not.toContain(otherHeartbeatId)
    expect(text).not.toContain(OTHER_NOTE)
    expect(text).not.toContain('"R12')
    expect(exported.audit.every((a: any) => a.person_id === null || a.person_id === 'p-002')).toBe(true)
    const rows = (await api(gw.httpPort, raj, '/api/audit/search?kind=subject.exported&person=p-002')).body.entries
    expect(rows.at(-1)).toMatchObject({ actor: 'user:au-raj', detail: { counts: { alerts: exported.alerts.length, audit: exported.audit.length } } })
  })

  it('refuses to erase a person still active in the configuration, saying to disable them first; needs a reason; AT admins only', async () => {
    const r = await api(gw.httpPort, ann, '/api/people/p-002/erase', { method: 'POST', body: { note: 'DSAR-2031' } })
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('GW_ERR_SUBJECT_ACTIVE')
    expect(r.body.error.message).toContain('disable them first')
    expect((await api(gw.httpPort, ann, '/api/people/p-002/erase', { method: 'POST', body: {} })).body.error.code).toBe('GW_ERR_API_BAD_REQUEST')
    expect((await api(gw.httpPort, raj, '/api/people/p-002/erase', { method: 'POST', body: { note: 'x' } })).status).toBe(403)
  })

  it('erases a disabled person: the views show "(erased)", pseudonymous records stay, and it is audited with counts only', async () => {
    const cfg = await active()
    expect((await api(gw.httpPort, ann, '/api/config/people/p-002/disable', { method: 'POST', body: { base_version: cfg.version, note: 'left the service' } })).status).toBe(200)
    const r = await api(gw.httpPort, ann, '/api/people/p-002/erase', { method: 'POST', body: { note: 'DSAR-2031' } })
    expect(r.status).toBe(200)
    expect(r.body.erasure).toMatchObject({ person_id: 'p-002', devices: ['sz-r14'], alert_notes_erased: 1, suppression_reasons_erased: 1 })
    expect(r.body.erasure.personal_data_deleted).toBeGreaterThanOrEqual(6)
    expect(r.body.erasure.configuration_versions_erased).toBeGreaterThanOrEqual(3)
    const timeline = (await api(gw.httpPort, raj, `/api/audit?alert=${alertId}`)).body.timeline as { kind: string; detail: Record<string, unknown> }[]
    expect(timeline.find((e) => e.detail.event === 'close')!.detail.note).toBe('(erased)')
    expect(timeline.filter((e) => e.kind === 'notification.transition' && e.detail.to === 'queued').every((e) => e.detail.text === '(erased)')).toBe(true)
    const after = (await api(gw.httpPort, raj, '/api/people/p-002/subject-access')).body
    expect(after.alerts.map((a: any) => a.id)).toContain(alertId)
    expect(after.configuration.current.person).toMatchObject({ id: 'p-002', room_code: '(erased)', pager_template: '(erased)', disabled: true })
    expect(after.personal_data).toEqual([])
    const erased = (await api(gw.httpPort, raj, '/api/audit/search?kind=subject.erased&person=p-002')).body.entries
    expect(erased).toHaveLength(1)
    expect(erased[0]).toMatchObject({ actor: 'user:at-ann', detail: { reason: 'DSAR-2031', alert_notes_erased: 1 } })
  })

  it('leaves nothing of theirs anywhere in the database file, the other person untouched, and the chain verifying', async () => {
    // A clean stop closes the database (the WAL is written back and removed) and anchors the head.
    await monitor.endAsync()
    await gw.kill('SIGTERM')
    const file = join(dataDir, 'gateway.db')
    for (const needle of [NOTE, REASON, NEW_ROOM, OLD_ROOM, 'chest infection', 'wardrobe']) expect(findInDatabase(file, needle), needle).toEqual([])
    expect(findInDatabase(file, OTHER_NOTE).sort()).toEqual(['alerts.outcome_note', 'personal_data.value'])
    expect(findInDatabase(file, '"R12"').length).toBeGreaterThan(0)
    // Not in freed pages either (secure_delete), nor a left-over WAL.
    const bytes = Buffer.concat([readFileSync(file), ...(existsSync(`${file}-wal`) ? [readFileSync(`${file}-wal`)] : [])])
    for (const needle of [NOTE, REASON, NEW_ROOM]) expect(bytes.includes(Buffer.from(needle)), `${needle} in the file's bytes`).toBe(false)
    const v = verifyCli(dataDir)
    expect(v.out).not.toContain('BROKEN')
    expect(v.code).toBe(0)
    expect(v.report).toMatchObject({ ok: true, kind: null })
  })

  it('starts again on the erased data (every stored version still valid), verifying the chain at start; retention runs at each start', async () => {
    gw = await startGatewayProcess({ dataDir })
    const started = (await api(gw.httpPort, raj, '/api/audit/search?kind=gateway.started')).body.entries
    expect(started.at(-1).detail.audit_chain).toBe('verified')
    expect((await active()).document.people.find((p) => p.id === 'p-002')).toMatchObject({ room_code: '(erased)', disabled: true })
    // The retention job ran at each start and audited itself (nothing is old enough to remove here).
    const runs = await eventually(async () => {
      const rows = (await api(gw.httpPort, raj, '/api/audit/search?kind=retention.applied')).body.entries as { detail: { status: string; removed?: Record<string, number> } }[]
      return rows.filter((r) => r.detail.status === 'completed').length >= 2 && rows
    }, 'two completed retention runs')
    expect(runs.find((r) => r.detail.status === 'completed')!.detail.removed).toEqual({ journal: 0, alerts: 0, notifications: 0, suppressions: 0, personal_data: 0, audit: 0 })
  })
})
