import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { deviceAdapters } from '../../device-adapters/src/index.js'
import { indexConfig, refreshIndex } from './config/config-index.js'
import { loadConfig } from './config/load.js'
import type { DeviceEvent, RawMessage } from './core/event.js'
import { createPipeline, type Pipeline } from './pipeline.js'
import { registryContext } from './registry-context.js'
import { createRepositories, openDatabase } from './store/index.js'
import { GroupCommitter } from './store/group-commit.js'
import { DeviceSupervisor } from './supervision/supervisor.js'
import type { Db } from './store/db.js'

/**
 * `ingestPrepared`: a device message checked and decoded on the broker's thread, with the configuration that thread had
 * then. The main thread has the last word: a device removed or disabled since is refused as checkMessage would refuse
 * it now, not journaled.
 */
describe('a message prepared under an older configuration', () => {
  const dirs: string[] = []
  let db: Db | null = null
  afterEach(() => {
    db?.close()
    db = null
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  function setUp(): { pipeline: Pipeline; refresh: (devices: 'remove' | 'disable') => void; journaled: () => number; rejections: () => string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'gw-prepared-'))
    dirs.push(dir)
    const config = loadConfig(join(import.meta.dirname, '../../config/demo.json'), registryContext)
    const index = indexConfig(config)
    db = openDatabase(join(dir, 'gateway.db'))
    const repos = createRepositories(db)
    const committer = new GroupCommitter(db, () => undefined)
    const adapters = new Map(deviceAdapters.map((a) => [a.id, a]))
    const pipeline = createPipeline({
      index, decoders: adapters, types: adapters, repos, supervisor: new DeviceSupervisor(new Map(), Date.now()), rejections: new Map(),
      transact: (run, recover) => committer.submit(run, recover), newId: (p) => `${p}-${Math.random().toString(36).slice(2)}`, log: pino({ level: 'silent' }), lineUp: () => true,
    })
    const d = db
    return {
      pipeline,
      refresh(how) {
        const device = config.devices.find((x) => x.id === 'sz-r14')!
        const rest = { ...config, devices: config.devices.filter((x) => x.id !== 'sz-r14') }
        refreshIndex(index, rest, how === 'disable' ? new Map([['sz-r14', { device, reason: 'device disabled by at-admin' }]]) : new Map())
        pipeline.refreshConfig()
      },
      journaled: () => (d.prepare('SELECT count(*) AS n FROM journal').get() as { n: number }).n,
      rejections: () => (d.prepare("SELECT detail FROM audit WHERE kind = 'input.rejected' ORDER BY seq").all() as { detail: string }[]).map((r) => (JSON.parse(r.detail) as { code: string }).code),
    }
  }

  const now = Date.now()
  const raw: RawMessage = { transport: 'mqtt', topic: 'care/oak-house/device/sz-r14/event', payload: Buffer.from('{}'), principal: 'sz-r14', clientId: 'sz-r14', receivedAt: now }
  const event: Omit<DeviceEvent, 'seq'> = { siteId: 'oak-house', deviceId: 'sz-r14', eventId: 'e1', type: 'seizure_alarm', deviceAt: now, receivedAt: now }
  const prepared = { kind: 'events', deviceId: 'sz-r14', events: [event] } as const

  it.each([
    ['removed since', 'remove', 'GW_ERR_INPUT_UNKNOWN_DEVICE'],
    ['disabled since', 'disable', 'GW_ERR_INPUT_DEVICE_DISABLED'],
  ] as const)('a device %s is refused, audited and not journaled', async (_name, how, code) => {
    const t = setUp()
    t.refresh(how)
    const outcome = await t.pipeline.ingestPrepared(raw, prepared)
    expect(outcome.status === 'rejected' && outcome.error.code).toBe(code)
    expect(t.journaled()).toBe(0)
    expect(t.rejections()).toEqual([code])
  })

  it('a device still configured has its events journaled and processed', async () => {
    const t = setUp()
    const outcome = await t.pipeline.ingestPrepared(raw, prepared)
    expect(outcome.status).toBe('accepted')
    expect(t.journaled()).toBe(1)
    expect(t.rejections()).toEqual([])
  })
})
