import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, eventually, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js'

/**
 * The AT team's configuration API against the real gateway process: every change is a version with who and
 * why, audited with before and after, applied without a restart; refusals are precise and audited.
 */
describe('configuration API (real gateway, real SQLite)', () => {
  let gw: GatewayProcess
  const as = (user: string) => gw.credentials.users[user]!
  const call = (user: string, path: string, init: { method?: string; body?: unknown } = {}) => api(gw.httpPort, as(user), path, init)
  const auditOf = async (query: string) => (await call('au-raj', `/api/audit/search?${query}`)).body.entries as { kind: string; actor: string; person_id: string | null; device_id: string | null; detail: Record<string, any> }[]
  let version = 0
  let bedSecret = ''
  beforeAll(async () => {
    gw = await startGatewayProcess()
  })
  afterAll(async () => {
    await gw?.kill('SIGTERM')
  })

  it('starts from the file as version 1 and lets the oversight roles read it', async () => {
    const r = await call('tl-kim', '/api/config')
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ version: 1, changed_by: 'config-file', editable_sections: expect.arrayContaining(['people', 'rules']), file_only_sections: expect.arrayContaining(['lines']) })
    expect(r.body.document.people.map((p: { id: string }) => p.id)).toEqual(['p-001', 'p-002'])
    version = r.body.version
    const ctx = await call('au-raj', '/api/config/context')
    expect(ctx.body.device_types).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'bed-monitor', events: expect.arrayContaining(['out_of_bed', 'in_bed']) })]))
    expect(ctx.body.restrictions).toContain('no_in_room_sounder')
  })

  it('refuses every configuration call from a carer with 403 and audits the refusal with the actor', async () => {
    const read = await call('c-amy', '/api/config')
    const write = await call('c-amy', '/api/config/people/p-001/disable', { method: 'POST', body: { base_version: version } })
    expect([read.status, write.status]).toEqual([403, 403])
    expect(write.body.error.code).toBe('GW_ERR_AUTH_FORBIDDEN')
    const refusals = await eventually(async () => {
      const rows = (await auditOf('kind=access.refused&actor=c-amy')).filter((r) => String(r.detail.what).includes('/api/config'))
      return rows.length >= 2 ? rows : null
    }, 'two audited refusals')
    expect(refusals.map((r) => r.actor)).toEqual(['user:c-amy', 'user:c-amy'])
    // Nothing changed.
    expect((await call('at-ann', '/api/config')).body.version).toBe(version)
  })

  it('adds a person, a device and a rule through the API, and an event from the new device raises an alert without a restart', async () => {
    const person = await call('at-ann', '/api/config/people/p-003', { method: 'PUT', body: { base_version: version, note: 'admission CHG-12', entity: { id: 'p-003', site: 'oak-house', room_code: 'R15', carers: ['c-amy'], restrictions: ['no_in_room_sounder'] } } })
    expect(person.status).toBe(201)
    expect(person.body).toMatchObject({ version: version + 1, created: true, before: null, after: { id: 'p-003', room_code: 'R15' } })
    const device = await call('at-ann', '/api/config/devices/bed-r15', { method: 'PUT', body: { base_version: version + 1, entity: { id: 'bed-r15', type: 'bed-monitor', site: 'oak-house', person: 'p-003' } } })
    expect(device.status).toBe(201)
    expect(device.body.device_secret).toEqual(expect.any(String))
    bedSecret = device.body.device_secret
    const rule = await call('at-ann', '/api/config/people/p-003/rules/up', { method: 'PUT', body: { base_version: version + 2, note: 'falls risk', entity: { id: 'up', kind: 'immediate', device: 'bed-r15', on: 'out_of_bed', priority: 'high', alert_class: 'OUT OF BED' } } })
    expect(rule.status).toBe(201)
    expect(rule.body.rule_versions_recorded).toBe(1)
    version += 3

    const client = await connectDevice(gw.mqttPort, 'bed-r15', device.body.device_secret)
    await publishEvent(client, 'bed-r15', { type: 'out_of_bed' })
    await client.endAsync()
    const alert = await eventually(async () => (await call('c-amy', '/api/alerts')).body.alerts.find((a: { room_code: string }) => a.room_code === 'R15'), 'the new rule\'s alert on Amy\'s list')
    expect(alert).toMatchObject({ alert_class: 'OUT OF BED', priority: 'high' })

    const changes = await auditOf('kind=config.changed&actor=at-ann')
    expect(changes.map((c) => [c.detail.section, c.detail.key, c.detail.op])).toEqual([['people', 'p-003', 'create'], ['devices', 'bed-r15', 'create'], ['rules', 'up', 'create']])
    expect(changes[0]).toMatchObject({ person_id: 'p-003', detail: { note: 'admission CHG-12', before: null, after: { id: 'p-003', restrictions: ['no_in_room_sounder'] } } })
    expect(changes[1]).toMatchObject({ device_id: 'bed-r15', person_id: 'p-003' })
    const history = await call('tl-kim', '/api/rules/history?person=p-003')
    expect(history.body.versions).toEqual([expect.objectContaining({ rule_id: 'up', changed_by: 'user:at-ann', note: 'falls risk' })])
    const versions = await call('au-raj', '/api/config/versions')
    expect(versions.body.versions[0]).toMatchObject({ version, changed_by: 'user:at-ann', source: 'api', summary: { section: 'rules', key: 'up', person: 'p-003', op: 'create' } })
    const v = await call('au-raj', `/api/config/versions/${version}`)
    expect(v.body.change).toMatchObject({ before: null, after: { id: 'up', kind: 'immediate' } })
  })

  it('answers an invalid rule with 400 and paths relative to the rule, saves nothing, and audits the refusal', async () => {
    const r = await call('at-ann', '/api/config/people/p-003/rules/late', { method: 'PUT', body: { base_version: version, entity: { id: 'late', kind: 'bed_exit', device: 'bed-r15', delay_s: -5, alert_class: 'bed exit' } } })
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('GW_ERR_CONFIG_CHANGE_INVALID')
    expect(r.body.error.issues.map((i: { path: string[] }) => i.path.join('.')).sort()).toEqual(['alert_class', 'delay_s'])
    expect((await call('at-ann', '/api/config')).body.version).toBe(version)
    const refused = await eventually(async () => (await auditOf('kind=command.refused&actor=at-ann')).find((x) => x.detail.code === 'GW_ERR_CONFIG_CHANGE_INVALID'), 'the audited refusal')
    expect(refused.detail.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: ['delay_s'] })]))
  })

  it('refuses a change based on an old version with 409', async () => {
    const r = await call('at-ann', '/api/config/users/c-amy', { method: 'PUT', body: { base_version: version - 1, entity: { id: 'c-amy', role: 'carer', display_name: 'Amy Z' } } })
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('GW_ERR_CONFIG_STALE_VERSION')
  })

  it('disables a device: it stays in the document, and its events are refused by name and audited', async () => {
    const r = await call('at-ann', '/api/config/devices/bed-r15/disable', { method: 'POST', body: { base_version: version, note: 'battery swap' } })
    expect(r.status).toBe(200)
    expect(r.body.after).toMatchObject({ id: 'bed-r15', disabled: true })
    version = r.body.version
    const cfg = await call('at-ann', '/api/config')
    expect(cfg.body.disabled_devices).toEqual({ 'bed-r15': 'disabled' })
    const client = await connectDevice(gw.mqttPort, 'bed-r15', bedSecret)
    await publishEvent(client, 'bed-r15', { type: 'out_of_bed' })
    await client.endAsync()
    const rejected = await eventually(async () => (await auditOf('kind=input.rejected&device=bed-r15'))[0], 'the audited rejection')
    expect(rejected.detail).toMatchObject({ code: 'GW_ERR_INPUT_DEVICE_DISABLED', reason: "device 'bed-r15' is disabled in the configuration (disabled)" })
  })

  it('keeps the versions across a restart while the file is unchanged', async () => {
    await gw.kill('SIGTERM')
    gw = await startGatewayProcess({ dataDir: gw.dataDir })
    const r = await call('at-ann', '/api/config')
    expect(r.body.version).toBe(version)
    expect(r.body.document.people.map((p: { id: string }) => p.id)).toContain('p-003')
  })
})
