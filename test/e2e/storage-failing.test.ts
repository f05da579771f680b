import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningGateway, startGateway } from '../../gateway/src/main.js'
import { parseOptions } from '../../gateway/src/config/options.js'
import { nodeWalFileOps, type WalFileOps } from '../../gateway/src/store/wal-sync.js'
import { api, connectDevice, eventually, eventId } from '../helpers/clients.js'
import { repoRoot } from '../helpers/gateway-process.js'

/**
 * Reliability row 16, for the off-loop WAL sync (issue 9): when the disk refuses to sync, alarms are still routed but
 * nothing is acknowledged, and people are told. The gateway runs in this process with the real broker, SQLite file
 * and HTTP server; only fdatasync is replaced, failing with EIO once `failing` is set (an I/O error cannot be
 * produced on demand here).
 */
let dir: string
let gw: RunningGateway
let failing = false
const ops: WalFileOps = {
  ...nodeWalFileOps,
  fdatasync: async (fd) => {
    if (failing) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
    return nodeWalFileOps.fdatasync(fd)
  },
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-storage-'))
  const opts = parseOptions(['--data-dir', dir, '--config', join(repoRoot, 'test', 'fixtures', 'e2e-config.json'), '--mqtt-port', '0', '--http-port', '0', '--host', '127.0.0.1'], {})
  gw = await startGateway(opts, pino({ level: 'silent' }), undefined, { walFileOps: ops })
})
afterAll(async () => {
  await gw.stop().catch(() => undefined)
  rmSync(dir, { recursive: true, force: true })
})

describe('storage failing (the WAL cannot be synced)', () => {
  it('acknowledges nothing more, still shows the alarm, raises STORAGE FAILING and turns /healthz 503', async () => {
    const creds = JSON.parse(readFileSync(gw.credentialsFile, 'utf8')) as { devices: Record<string, string>; users: Record<string, string> }
    const kim = creds.users['tl-kim']!
    expect((await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)).status).toBe(200)
    const device = await connectDevice(gw.mqttPort!, 'sz-r14', creds.devices['sz-r14']!)
    failing = true
    let acked = false
    device.publish(`care/oak-house/device/sz-r14/event`, JSON.stringify({ event_id: eventId('sf'), type: 'seizure_alarm', at: new Date().toISOString() }), { qos: 1 }, (err) => {
      if (!err) acked = true
    })
    // Routed all the same: the seizure alert and the storage alert are on the board's API.
    const classes = await eventually(async () => {
      const r = await api(gw.httpPort, kim, '/api/alerts')
      const seen = (r.body.alerts as { alert_class: string; state: string }[]).map((a) => a.alert_class)
      return seen.includes('STORAGE FAILING') && seen.includes('SEIZURE') ? seen : null
    }, 'the seizure alert and STORAGE FAILING on /api/alerts')
    expect(classes).toContain('STORAGE FAILING')
    const health = await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)
    expect(health.status).toBe(503)
    expect(await health.json()).toMatchObject({ status: 'storage_failing' })
    await new Promise((r) => setTimeout(r, 300))
    expect(acked).toBe(false)
    device.end(true)
  })
})
