import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { api, connectDevice, eventually, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, repoRoot, startGatewayProcess, tempDataDir } from '../helpers/gateway-process.js'

const run = promisify(execFile)
const baseConfig = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/e2e-config.json'), 'utf8')) as { people: { id: string; rules: Record<string, unknown>[] }[] }

/** A copy of the test configuration with the bed-exit rule changed. */
function configWithBedRule(dir: string, change: Record<string, unknown>): string {
  const c = structuredClone(baseConfig)
  c.people[0]!.rules[0] = { ...c.people[0]!.rules[0], ...change }
  const file = join(dir, `config-${Object.values(change).join('-')}.json`)
  writeFileSync(file, JSON.stringify(c))
  return file
}

type Entry = { kind: string; actor: string; detail: Record<string, unknown> }

describe('per-person rules through the real process', () => {
  const running: GatewayProcess[] = []
  afterEach(async () => {
    for (const gw of running.splice(0)) await gw.kill('SIGTERM')
  })

  it('a suppression set through the API holds back a bed-exit alert with its reason, and is audited', async () => {
    const gw = await startGatewayProcess()
    running.push(gw)
    const kim = gw.credentials.users['tl-kim']!
    const set = await api(gw.httpPort, kim, '/api/suppressions', { method: 'POST', body: { kind: 'away', person_id: 'p-001', reason: 'in hospital', duration_s: 3600 } })
    expect(set.status).toBe(201)
    const bed = await connectDevice(gw.mqttPort, 'bed-r12', gw.credentials.devices['bed-r12']!)
    await publishEvent(bed, 'bed-r12', { type: 'out_of_bed' })
    const decision = await eventually(async () => {
      const r = await api(gw.httpPort, kim, '/api/audit?kind=rule.decision&device=bed-r12')
      return (r.body.entries as Entry[]).find((e) => e.detail.outcome === 'suppress')
    }, 'the suppressed decision at the 2 s deadline')
    expect(decision.detail.reason).toMatch(/^suppressed: person away \(in hospital; set by user:tl-kim, until .*\): not back in bed within 2 s/)
    expect((await api(gw.httpPort, kim, '/api/alerts')).body.alerts).toEqual([])

    const del = await api(gw.httpPort, kim, `/api/suppressions/${set.body.suppression.id}`, { method: 'DELETE' })
    expect(del.body.suppression.cleared_by).toBe('user:tl-kim')
    const audit = await api(gw.httpPort, kim, '/api/audit?kind=suppression.set')
    expect(audit.body.entries[0]).toMatchObject({ actor: 'user:tl-kim', detail: { kind: 'away', reason: 'in hospital' } })
    expect((await api(gw.httpPort, kim, '/api/audit?kind=suppression.cleared')).body.entries).toHaveLength(1)
    await bed.endAsync()
  })

  it('a carer may not set "away" for a person, and the refusal is audited', async () => {
    const gw = await startGatewayProcess()
    running.push(gw)
    const r = await api(gw.httpPort, gw.credentials.users['c-amy']!, '/api/suppressions', { method: 'POST', body: { kind: 'away', person_id: 'p-001', reason: 'x', duration_s: 600 } })
    expect(r.status).toBe(403)
    const refused = await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/audit?kind=command.refused')
    expect(refused.body.entries[0]).toMatchObject({ actor: 'user:c-amy', detail: { code: 'GW_ERR_AUTH_FORBIDDEN' } })
  })

  it('a presence button suppresses alerts while the carer is in the room', async () => {
    const gw = await startGatewayProcess()
    running.push(gw)
    const kim = gw.credentials.users['tl-kim']!
    const btn = await connectDevice(gw.mqttPort, 'btn-r12', gw.credentials.devices['btn-r12']!)
    const bed = await connectDevice(gw.mqttPort, 'bed-r12', gw.credentials.devices['bed-r12']!)
    await publishEvent(btn, 'btn-r12', { type: 'carer_present' })
    await publishEvent(bed, 'bed-r12', { type: 'out_of_bed' })
    const d = await eventually(async () => ((await api(gw.httpPort, kim, '/api/audit?kind=rule.decision&device=bed-r12')).body.entries as Entry[]).find((e) => e.detail.outcome === 'suppress'), 'suppressed decision')
    expect(d.detail.reason).toMatch(/^suppressed: carer present \(presence button; set by device:btn-r12/)
    await publishEvent(btn, 'btn-r12', { type: 'carer_left' })
    expect((await api(gw.httpPort, kim, '/api/suppressions')).body.suppressions).toEqual([])
    await Promise.all([btn.endAsync(), bed.endAsync()])
  })

  it('records who changed a rule and why; later alerts carry the new rule version; replay compares versions', async () => {
    const dir = tempDataDir()
    const first = await startGatewayProcess({ dataDir: dir })
    running.push(first)
    const bed = await connectDevice(first.mqttPort, 'bed-r12', first.credentials.devices['bed-r12']!)
    await publishEvent(bed, 'bed-r12', { type: 'out_of_bed' })
    await eventually(async () => (await api(first.httpPort, first.credentials.users['tl-kim']!, '/api/alerts')).body.alerts.length === 1, 'the first alert')
    await publishEvent(bed, 'bed-r12', { type: 'in_bed' })
    await bed.endAsync()
    await first.kill('SIGTERM')
    running.pop()

    const changed = configWithBedRule(dir, { delay_s: 30 })
    const second = await startGatewayProcess({ dataDir: dir, config: changed, args: ['--changed-by', 'user:at-alex', '--change-note', 'agreed at review 27 Nov'] })
    running.push(second)
    const kim = second.credentials.users['tl-kim']!
    const history = (await api(second.httpPort, kim, '/api/rules/history?person=p-001')).body.versions as { rule_id: string; version: string; changed_by: string; note: string | null; rule: { delay_s: number } }[]
    expect(history.map((v) => [v.changed_by, v.note, v.rule.delay_s])).toEqual([['config-file', null, 2], ['user:at-alex', 'agreed at review 27 Nov', 30]])
    const audit = await api(second.httpPort, kim, '/api/audit?kind=rule.changed')
    const change = (audit.body.entries as Entry[]).at(-1)!
    expect(change.actor).toBe('user:at-alex')
    expect(change.detail).toMatchObject({ rule_id: 'bed-exit-night', before: { delay_s: 2 }, after: { delay_s: 30 }, note: 'agreed at review 27 Nov' })
    const alert = (await api(second.httpPort, kim, '/api/alerts')).body.alerts[0]
    expect(alert.rule_version).toBe(history[0]!.version)

    // Replay the recorded journal: the current (30 s) rule would not have raised that 2.x s exit; a 1 s proposal would.
    const proposal = join(dir, 'proposal.json')
    writeFileSync(proposal, JSON.stringify({ people: [{ id: 'p-001', rules: [{ id: 'bed-exit-night', kind: 'bed_exit', device: 'bed-r12', delay_s: 1 }] }] }))
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() }
    const cli = await run(process.execPath, ['--import', 'tsx', 'gateway/src/cli/replay.ts', '--rules', proposal, '--from', range.from, '--to', range.to, '--config', changed, '--data-dir', dir, '--json'], { cwd: repoRoot })
    const report = JSON.parse(cli.stdout) as { totals: { current_alerts: number; proposed_alerts: number }; rules: { rule_id: string; only_proposed: unknown[] }[] }
    expect(report.totals).toEqual({ current_alerts: 0, proposed_alerts: 1 })
    const viaApi = await api(second.httpPort, kim, '/api/replay', { method: 'POST', body: { ...range, rules: JSON.parse(readFileSync(proposal, 'utf8')) } })
    expect(viaApi.status).toBe(200)
    expect(viaApi.body.totals).toEqual(report.totals)
    // Replay wrote nothing: still exactly one alert.
    expect((await api(second.httpPort, kim, '/api/alerts')).body.alerts).toHaveLength(1)
  })
})
