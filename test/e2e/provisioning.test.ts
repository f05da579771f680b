import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { api, connectDevice } from '../helpers/clients.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'

const run = promisify(execFile)
const config = join(repoRoot, 'test/fixtures/e2e-config.json')

async function refusedCode(port: number, username: string, password: string): Promise<number | undefined> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username, password, clientId: username, reconnectPeriod: 0 })
  const err = await new Promise<Error & { code?: number }>((resolve) => c.once('error', resolve))
  c.end(true)
  return err.code
}

/** Issue 6 provisioning: `npm run device -- rotate|revoke` and the API, against the running gateway. */
describe('device provisioning', () => {
  let gw: GatewayProcess | null = null
  afterEach(async () => {
    await gw?.kill('SIGTERM')
    gw = null
  })

  it('rotates a secret from the command line while the gateway runs: the new one works at once, the old one is refused; revoke locks the device out', async () => {
    gw = await startGatewayProcess()
    const old = gw.credentials.devices['bed-r12']!
    const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'gateway/src/cli/device.ts', ...args, '--data-dir', gw!.dataDir, '--config', config, '--by', 'test'], { cwd: repoRoot })
    const { stdout } = await cli('rotate', 'bed-r12')
    const [id, secret] = stdout.trim().split(' ')
    expect(id).toBe('bed-r12')
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await refusedCode(gw.mqttPort!, 'bed-r12', old)).toBe(4)
    const c = await connectDevice(gw.mqttPort!, 'bed-r12', secret!)
    await c.endAsync()
    await cli('revoke', 'bed-r12')
    expect(await refusedCode(gw.mqttPort!, 'bed-r12', secret!)).toBe(4)
    const audit = await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/audit?kind=credential.revoked')
    expect(audit.body.entries[0]).toMatchObject({ actor: 'cli:test', device_id: 'bed-r12' })
  })

  it('only an AT admin may rotate through the API, and the refusal is audited', async () => {
    gw = await startGatewayProcess()
    const r = await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/devices/sz-r14/credentials', { method: 'POST', body: {} })
    expect(r.status).toBe(403)
    const refused = await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/audit?kind=command.refused')
    expect(refused.body.entries.at(-1)).toMatchObject({ actor: 'user:tl-kim', detail: { code: 'GW_ERR_AUTH_FORBIDDEN' } })
  })
})
