import type { MqttClient } from 'mqtt'
import Database from 'better-sqlite3'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, publishEvent } from '../helpers/clients.js'
import { verifyCli } from '../helpers/audit-cli.js'
import { type GatewayProcess, repoRoot, startGatewayProcess, tempDataDir } from '../helpers/gateway-process.js'

interface Entry { seq: number; kind: string; device_id: string | null; person_id: string | null; detail: Record<string, unknown> }

/**
 * Issue 9's digest of routine events, in the real gateway process: heartbeats are stored in `events.routine` rows, not
 * row by row, an out-of-bed report (the bed-exit rule arms a deadline) row by row, and every reader finds each once.
 */
describe('routine events are audited as one digest row per commit', () => {
  let gw: GatewayProcess
  let bed: MqttClient
  let kim: string
  const routineIds: string[] = []
  let raisedId: string
  let clearedId: string

  beforeAll(async () => {
    // The e2e configuration, plus an inactivity rule on the seizure monitor's "cleared" report: with no alarm active
    // the seizure rule ignores that report (routine so far), but the inactivity rule's deadline moves, deciding nothing.
    const config = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/e2e-config.json'), 'utf8')) as { people: { id: string; rules: unknown[] }[] }
    config.people.find((p) => p.id === 'p-002')!.rules.push({ id: 'quiet', kind: 'inactivity', on: ['seizure_cleared'], period_s: 86_400, priority: 'low', alert_class: 'QUIET' })
    const dataDir = tempDataDir()
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify(config))
    gw = await startGatewayProcess({ dataDir, config: join(dataDir, 'config.json') })
    kim = gw.credentials.users['tl-kim']!
    bed = await connectDevice(gw.mqttPort, 'bed-r12', gw.credentials.devices['bed-r12']!)
    // Sent together, so several share a group commit; each PUBACK came after its commit.
    routineIds.push(...await Promise.all(Array.from({ length: 12 }, () => publishEvent(bed, 'bed-r12', { type: 'heartbeat' }))))
    // Not routine: the bed-exit rule arms a deadline for it.
    raisedId = await publishEvent(bed, 'bed-r12', { type: 'out_of_bed' })
    routineIds.push(...await Promise.all(Array.from({ length: 5 }, () => publishEvent(bed, 'bed-r12', { type: 'heartbeat' }))))
    // Not routine either: the inactivity rule's deadline moves (an inactivity alert names that event as its trigger).
    const monitor = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    clearedId = await publishEvent(monitor, 'sz-r14', { type: 'seizure_cleared' })
    await monitor.endAsync()
  }, 60_000)

  afterAll(async () => {
    await bed?.endAsync()
    expect(await gw.kill('SIGTERM')).toBe(0)
  })

  it('stores routine events in digest rows, and the rest row by row', () => {
    const db = new Database(join(gw.dataDir, 'gateway.db'), { readonly: true })
    try {
      const digests = db.prepare("SELECT detail FROM audit WHERE kind = 'events.routine'").pluck().all() as string[]
      const inDigests = digests.flatMap((d) => (JSON.parse(d) as { events: { event_id: string }[] }).events.map((e) => e.event_id))
      expect(inDigests.filter((id) => routineIds.includes(id)).sort()).toEqual([...routineIds].sort())
      expect(digests.length).toBeLessThan(routineIds.length)
      const single = db.prepare("SELECT detail FROM audit WHERE kind = 'event.received' AND device_id = 'bed-r12'").pluck().all() as string[]
      expect(single.map((d) => (JSON.parse(d) as { event_id: string }).event_id)).toEqual([raisedId])
      const monitorRows = db.prepare("SELECT detail FROM audit WHERE kind = 'event.received' AND device_id = 'sz-r14'").pluck().all() as string[]
      expect(monitorRows.map((d) => (JSON.parse(d) as { event_id: string }).event_id)).toEqual([clearedId])
    } finally {
      db.close()
    }
  })

  it('search finds each event once, paged or not, in the order of the trail', async () => {
    const all = (await api(gw.httpPort, kim, '/api/audit/search?kind=event.received&device=bed-r12&limit=1000')).body.entries as Entry[]
    expect(all.map((e) => e.detail.event_id).sort()).toEqual([...routineIds, raisedId].sort())
    expect(all.every((e) => e.kind === 'event.received' && e.device_id === 'bed-r12' && e.detail.type !== undefined)).toBe(true)
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => a - b))
    const paged: Entry[] = []
    let after = 0
    for (let i = 0; i < 50; i++) {
      const r = (await api(gw.httpPort, kim, `/api/audit/search?kind=event.received&device=bed-r12&limit=3&after=${after}`)).body as { entries: Entry[]; next_after: number | null }
      paged.push(...r.entries)
      if (r.next_after === null) break
      after = r.next_after
    }
    expect(paged).toEqual(all)
    // The older endpoint (the admin screen's device filter) expands them too.
    const older = (await api(gw.httpPort, kim, '/api/audit?kind=event.received&device=bed-r12&limit=1000')).body.entries as Entry[]
    expect(older.map((e) => e.detail.event_id).sort()).toEqual(all.map((e) => e.detail.event_id).sort())
  })

  it('the CSV export lists them like any row', async () => {
    const r = await api(gw.httpPort, kim, '/api/audit/export?format=csv&kind=event.received&device=bed-r12')
    const text = String(r.body)
    for (const id of routineIds) expect(text).toContain(id)
  })

  it('the chain, digests included, verifies', () => {
    const v = verifyCli(gw.dataDir)
    expect(v.code, v.out).toBe(0)
    expect(v.report.ok).toBe(true)
  })
})
