import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach } from 'vitest'
import { deviceAdapters } from '../../device-adapters/src/index.js'
import { indexConfig } from '../../gateway/src/config/config-index.js'
import { loadConfig } from '../../gateway/src/config/load.js'
import type { Effects } from '../../gateway/src/core/effects.js'
import { createPipeline, type Transact } from '../../gateway/src/pipeline.js'
import { registryContext } from '../../gateway/src/registry-context.js'
import { createRepositories, openDatabase } from '../../gateway/src/store/index.js'
import type { Db } from '../../gateway/src/store/db.js'
import { GroupCommitter, type GroupHooks } from '../../gateway/src/store/group-commit.js'
import { createDryRunRepos } from '../../gateway/src/compose/dry-run-repos.js'
import { DeviceSupervisor } from '../../gateway/src/supervision/supervisor.js'

/**
 * Shared by the tests that drive the real pipeline over the real store (gateway/src/pipeline-*.test.ts): a configuration written
 * to a temporary folder and loaded as the gateway loads it, a database file, one group committer, and the real device
 * adapters. Everything is removed after each test.
 */
export function pipelineOverStore() {
  const dirs: string[] = []
  const dbs: Db[] = []
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  /** `hooks`: the committer's (as compose/gateway-committer.ts sets them); the pipeline reads the store as main.ts wires it, able to dry-run. */
  return (config: Record<string, unknown>, o: { onCommitted?: (fx: Effects, db: Db) => void; transact?: (committer: GroupCommitter) => Transact; hooks?: GroupHooks } = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-pipeline-'))
    dirs.push(dir)
    const file = join(dir, 'config.json')
    writeFileSync(file, JSON.stringify(config))
    const index = indexConfig(loadConfig(file, registryContext))
    const db = openDatabase(join(dir, 'gateway.db'))
    dbs.push(db)
    const repos = createRepositories(db)
    const dry = createDryRunRepos(repos)
    const committer = new GroupCommitter(db, (fx) => o.onCommitted?.(fx, db), undefined, o.hooks)
    const adapters = new Map(deviceAdapters.map((a) => [a.id, a]))
    const supervisor = new DeviceSupervisor(new Map(), Date.now())
    const pipeline = createPipeline({
      index, decoders: adapters, types: adapters, repos: dry.repos, dryRun: dry.dryRun, supervisor, rejections: new Map(),
      transact: o.transact?.(committer) ?? ((run, recover, lane) => committer.submit(run, recover, lane)),
      newId: (p) => `${p}-${Math.random().toString(36).slice(2)}`, log: pino({ level: 'silent' }), lineUp: () => true,
    })
    return { pipeline, db, repos, committer, index, supervisor }
  }
}
