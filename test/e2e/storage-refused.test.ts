import Database from 'better-sqlite3'
import type { MqttClient } from 'mqtt'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectScreen, eventually, eventId, publishEvent, type Screen } from '../helpers/clients.js'
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js'
import { acked, connectResendingDevice, limitFileSize, refuseWrites } from '../helpers/storage-refusal.js'

/**
 * reliability-security.md row 16, with a real refusal: the kernel's file-size limit makes SQLite's writes fail
 * (SQLITE_FULL, as on a full disk) inside the running gateway process. Alarms must still be paged, nothing may be
 * acknowledged, and once the store takes writes again the device's resend is committed exactly once.
 */
describe('the store refuses writes (disk full): alarms are still paged, nothing is acknowledged', () => {
  let gw: GatewayProcess
  let bob: Screen
  let board: Screen
  let monitor: MqttClient
  let bed: MqttClient
  const alarmId = eventId('alarm')
  let alarm: Promise<unknown>

  beforeAll(async () => {
    gw = await startGatewayProcess()
    bob = await connectScreen(gw.httpPort, gw.credentials.users['c-bob']!)
    board = await connectScreen(gw.httpPort, gw.credentials.users['tl-kim']!)
    monitor = await connectResendingDevice(gw, 'sz-r14')
    const refusal = await refuseWrites(gw)
    bed = refusal.bed
    expect(refusal.refused, 'the store never refused a write').toBe(true)
    alarm = publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm', event_id: alarmId })
  }, 60_000)

  afterAll(async () => {
    for (const s of [bob, board]) s?.close()
    // Forced: the bed sensor's connection was dropped by the broker when its heartbeat was refused.
    bed?.end(true)
    monitor?.end(true)
    expect(await gw.kill('SIGTERM')).toBe(0)
  })

  it('pages the carer and shows the board the alarm, marked unstored', async () => {
    const shown = await bob.waitFor((m) => m.type === 'alert' && (m.alert as { room_code: string }).room_code === 'R14', 'the alarm on Bob\'s soft pager')
    expect(shown.alert).toMatchObject({ alert_class: 'SEIZURE', priority: 'high', unstored: true })
    const page = await bob.waitFor((m) => m.type === 'notification' && String((m.notification as { text: string }).text).startsWith('R14'), 'the page on Bob\'s soft pager')
    expect(page.notification).toMatchObject({ user_id: 'c-bob', protocol: 'soft', unstored: true })
    expect(String((page.notification as { text: string }).text)).toMatch(/^R14 SEIZURE/)
    await board.waitFor((m) => m.type === 'alert' && (m.alert as { room_code: string; unstored?: boolean }).room_code === 'R14', 'the alarm on the board')
    // The store's own alarm, site-wide, paged the same way.
    const storage = await board.waitFor((m) => m.type === 'alert' && (m.alert as { alert_class: string }).alert_class === 'STORAGE FAILING', 'STORAGE FAILING on the board')
    expect(storage.alert).toMatchObject({ kind: 'technical', priority: 'high', unstored: true })
  })

  it('acknowledges nothing, says so on /healthz and in the metrics, and stays up', async () => {
    expect(await acked(alarm, 1500)).toBe(false)
    const health = await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/healthz')
    expect(health.status).toBe(503)
    expect(health.body).toMatchObject({ status: 'storage_failing' })
    const metrics = String((await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/metrics')).body)
    expect(metrics).toMatch(/^gateway_storage_failing 1$/m)
    expect(gw.child.exitCode).toBeNull()
    expect(gw.logs.some((l) => l.includes('STORAGE FAILING'))).toBe(true)
  })

  it('once the store takes writes again, the resent alarm is committed once, raised and paged as usual, and the outage audited', async () => {
    limitFileSize(gw, 'unlimited')
    const lifted = Date.now()
    // The device resends after its next reconnect; its PUBACK now comes after the commit.
    expect(await acked(alarm, 20_000)).toBe(true)
    const kim = gw.credentials.users['tl-kim']!
    const alerts = await eventually(async () => {
      const open = ((await api(gw.httpPort, kim, '/api/alerts')).body.alerts as { room_code: string; state: string }[]).filter((a) => a.room_code === 'R14')
      return open.length ? open : null
    }, 'the stored alarm')
    expect(alerts).toHaveLength(1)
    await bob.waitFor((m) => m.type === 'notification' && !(m.notification as { unstored?: boolean }).unstored, 'the stored page')
    const db = new Database(join(gw.dataDir, 'gateway.db'), { readonly: true })
    try {
      expect(db.prepare('SELECT count(*) FROM journal WHERE event_id = ?').pluck().get(alarmId)).toBe(1)
    } finally {
      db.close()
    }
    // The outage ends after RECOVERY_QUIET_MS (15 s) without a refusal, at the next commit.
    await new Promise((r) => setTimeout(r, Math.max(0, lifted + 16_000 - Date.now())))
    await publishEvent(monitor, 'sz-r14', { type: 'heartbeat' })
    const outage = await eventually(async () => ((await api(gw.httpPort, gw.credentials.users['au-raj']!, '/api/audit/search?kind=storage.failing')).body.entries as { detail: Record<string, unknown> }[]).at(-1), 'the outage in the audit trail')
    expect(outage.detail).toMatchObject({ cause: 'write_refused', unstored_pages: expect.any(Number) })
    expect(outage.detail.unstored_pages).toBeGreaterThanOrEqual(1)
    expect((await api(gw.httpPort, kim, '/healthz')).status).toBe(200)
    // The screens are sent their whole state again: the unrecorded cards go, the stored alarm stays.
    const snapshot = await bob.waitFor((m) => m.type === 'snapshot' && bob.messages.filter((x) => x.type === 'snapshot').indexOf(m) > 0, 'a fresh snapshot after the outage')
    const rooms = (snapshot.alerts as { room_code: string; unstored?: boolean }[]).filter((a) => a.room_code === 'R14')
    expect(rooms).toHaveLength(1)
    expect(rooms[0]!.unstored).toBeUndefined()
  }, 60_000)
})
