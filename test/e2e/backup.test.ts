import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, eventually, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'
import { npmScript } from '../../simulators/lib/npm-script.js'

/** `npm run backup -- <file>` as an operator runs it, while the gateway keeps working. */
function runBackup(dataDir: string, file: string): Promise<{ code: number | null; out: string }> {
  const [node, ...args] = npmScript('backup')
  const child = spawn(node!, [...args, file, '--data-dir', dataDir, '--by', 'test'], { cwd: repoRoot })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((r) => child.once('exit', (code) => r({ code, out })))
}

describe('online backup during a burst of events, and a restore that verifies', () => {
  let gw: GatewayProcess
  let restored: GatewayProcess | undefined
  beforeAll(async () => {
    gw = await startGatewayProcess()
  })
  afterAll(async () => {
    await restored?.kill('SIGTERM')
    await gw?.kill('SIGTERM')
  })

  it('takes a consistent copy while events keep arriving; the copy opens, verifies and holds the alerts', async () => {
    const sz = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    await publishEvent(sz, 'sz-r14', { type: 'seizure_alarm' })
    await eventually(async () => (await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/alerts?state=open')).body.alerts.length > 0, 'the seizure alert')
    const devices = [['sz-r14', sz] as const, ...(await Promise.all(['bed-r12'].map(async (id) => [id, await connectDevice(gw.mqttPort, id, gw.credentials.devices[id]!)] as const)))]
    // A bounded burst (2 devices × 40 heartbeats, within each device's rate limit), with the backup started in the middle of it.
    const burst = (async () => {
      for (let i = 0; i < 40; i++) {
        await Promise.all(devices.map(([id, c]) => publishEvent(c, id, { type: 'heartbeat' })))
        await new Promise((r) => setTimeout(r, 60))
      }
    })()
    await new Promise((r) => setTimeout(r, 300))
    const file = join(mkdtempSync(join(tmpdir(), 'gw-backup-')), 'gateway-backup.db')
    const backup = await runBackup(gw.dataDir, file)
    await burst
    await Promise.all(devices.map(([, c]) => c.endAsync()))
    expect(backup.code, backup.out).toBe(0)
    const summary = JSON.parse(backup.out) as Record<string, any>
    expect(summary).toMatchObject({ integrity_check: 'ok', audit_verified: true, audit_finding: null })
    expect(summary.alerts).toBeGreaterThanOrEqual(1)
    expect(summary.audit_rows).toBeGreaterThan(0)
    // The live trail recorded the backup, and still verifies with it.
    const taken = (await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/audit?kind=backup.taken')).body.entries
    expect(taken).toHaveLength(1)
    expect(taken[0]).toMatchObject({ actor: 'cli:test', detail: { file } })
    expect((await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/audit/verify')).body).toMatchObject({ ok: true })

    // Restore: the backup as the database of a new data directory, with the key kept apart from it.
    const dir = mkdtempSync(join(tmpdir(), 'gw-restore-'))
    copyFileSync(file, join(dir, 'gateway.db'))
    copyFileSync(join(gw.dataDir, 'audit.key'), join(dir, 'audit.key'))
    copyFileSync(join(gw.dataDir, 'new-credentials.json'), join(dir, 'new-credentials.json'))
    restored = await startGatewayProcess({ dataDir: dir })
    const started = (await api(restored.httpPort, restored.credentials.users['tl-kim']!, '/api/audit?kind=gateway.started&limit=1000')).body.entries
    expect(started.at(-1).detail).toMatchObject({ audit_chain: 'verified' })
    const open = (await api(restored.httpPort, restored.credentials.users['tl-kim']!, '/api/alerts?state=open')).body.alerts
    expect(open.map((a: any) => a.alert_class)).toContain('SEIZURE')
    expect(open.map((a: any) => a.alert_class)).not.toContain('AUDIT TRAIL BROKEN')
  })
})
