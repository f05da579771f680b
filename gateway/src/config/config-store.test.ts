import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { registryContext } from '../registry-context.js'
import { createAuditRepo } from '../store/audit-repo.js'
import { createConfigRepo } from '../store/config-repo.js'
import { openDatabase } from '../store/db.js'
import { type ChangeRequest, createConfigStore, openActiveConfig } from './config-store.js'
import { isGatewayError } from '../core/errors.js'

const fixture = readFileSync(join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'e2e-config.json'), 'utf8')

/** A real SQLite store (in memory, with the real migrations) and the store's dependencies. */
function setup() {
  const db = openDatabase(':memory:')
  let t = Date.parse('2026-11-28T10:00:00Z')
  const deps = { repo: createConfigRepo(db), ctx: registryContext, audit: createAuditRepo(db), transact: async <T>(run: () => T) => db.transaction(run)(), now: () => (t += 1000) }
  return { db, deps, auditRows: (kind: string) => deps.audit.search({ kind, limit: 100 }) }
}

const change = (over: Partial<ChangeRequest> & Pick<ChangeRequest, 'section' | 'key'>): ChangeRequest => ({ op: 'put', note: null, baseVersion: 1, actor: 'user:at-ann', source: 'ui', ...over })
async function refusal(p: Promise<unknown>) {
  const err = await p.then(() => null, (e: unknown) => e)
  if (!isGatewayError(err)) throw new Error(`expected a GatewayError, got ${String(err)}`)
  return err
}

describe('configuration versions: the file seeds, the database holds every version', () => {
  it('imports the file as version 1 on first start, with who and the note, and audits it', async () => {
    const { deps, auditRows } = setup()
    const r = await openActiveConfig(deps, { path: 'cfg.json', text: fixture }, 'installer', 'REF-1')
    expect(r).toMatchObject({ imported: true, active: { version: 1 } })
    expect(deps.repo.latest()).toMatchObject({ version: 1, source: 'file', changedBy: 'installer', note: 'REF-1' })
    expect(auditRows('config.changed')[0]).toMatchObject({ actor: 'installer', detail: { version: 1, source: 'file', op: 'import' } })
  })

  it('keeps the latest version (with web-app changes) while the file is unchanged, and imports the file again when it changes', async () => {
    const { deps } = setup()
    const first = await openActiveConfig(deps, { path: 'cfg.json', text: fixture }, 'file', null)
    const store = createConfigStore(deps, first.active)
    await store.change(change({ section: 'people', key: 'p-001', entity: { ...first.active.document.people[0], room_code: 'R99' } }))
    const again = await openActiveConfig(deps, { path: 'cfg.json', text: fixture }, 'file', null)
    expect(again).toMatchObject({ imported: false, active: { version: 2 } })
    expect(again.active.document.people[0]!.room_code).toBe('R99')
    const edited = JSON.parse(fixture) as { people: { room_code: string }[] }
    edited.people[0]!.room_code = 'R50'
    const third = await openActiveConfig(deps, { path: 'cfg.json', text: JSON.stringify(edited) }, 'ops', 'moved room')
    expect(third).toMatchObject({ imported: true, supersededUiVersions: 1, active: { version: 3 } })
    expect(third.active.document.people[0]!.room_code).toBe('R50')
  })

  it('refuses an invalid file at start with every problem as path: message', async () => {
    const { deps } = setup()
    const bad = JSON.parse(fixture) as { devices: { type: string }[]; people: { carers: string[] }[] }
    bad.devices[0]!.type = 'toaster'
    bad.people[1]!.carers = ['nobody']
    const err = await refusal(openActiveConfig(deps, { path: 'cfg.json', text: JSON.stringify(bad) }, 'file', null))
    expect(err.code).toBe('GW_ERR_CONFIG_INVALID')
    expect(err.details.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^devices\.0\.type: unknown device type 'toaster'/), "people.1.carers.0: unknown user 'nobody'"]))
    expect(deps.repo.latest()).toBeNull()
  })
})

describe('changes: validated whole, versioned, audited with before and after', () => {
  async function opened() {
    const s = setup()
    const first = await openActiveConfig(s.deps, { path: 'cfg.json', text: fixture }, 'file', null)
    return { ...s, doc: first.active.document, store: createConfigStore(s.deps, first.active) }
  }

  it('creates a person as a new version with the actor, the note and the entity before (null) and after', async () => {
    const { store, deps, auditRows } = await opened()
    const person = { id: 'p-003', site: 'oak-house', room_code: 'R15', carers: ['c-amy'], restrictions: ['no_in_room_sounder'] }
    const r = await store.change(change({ section: 'people', key: 'p-003', entity: person, note: 'admitted, CHG-7' }))
    expect(r).toMatchObject({ changed: true, created: true, version: 2, before: null, after: { id: 'p-003', restrictions: ['no_in_room_sounder'], pager_template: '{room_code} {alert_class}' } })
    expect(deps.repo.latest()).toMatchObject({ version: 2, changedBy: 'user:at-ann', note: 'admitted, CHG-7', source: 'ui', summary: { section: 'people', key: 'p-003', op: 'create' } })
    const row = auditRows('config.changed').at(-1)!
    expect(row).toMatchObject({ actor: 'user:at-ann', personId: 'p-003', detail: { version: 2, op: 'create', note: 'admitted, CHG-7', before: null, after: { id: 'p-003' } } })
    // Only the entity, not the whole document.
    expect(JSON.stringify(row.detail)).not.toContain('sz-r14')
  })

  it('refuses a change made against an older version (409) and saves nothing', async () => {
    const { store, doc, deps } = await opened()
    await store.change(change({ section: 'users', key: 'c-amy', entity: { ...doc.users[0], display_name: 'Amy B' } }))
    const err = await refusal(store.change(change({ section: 'users', key: 'c-amy', entity: { ...doc.users[0], display_name: 'Amy C' } })))
    expect(err).toMatchObject({ code: 'GW_ERR_CONFIG_STALE_VERSION', status: 409 })
    expect(err.message).toContain('version 2, by user:at-ann')
    expect(deps.repo.latest()!.version).toBe(2)
  })

  it('lets only one of two simultaneous changes from the same version win', async () => {
    const { store, doc } = await opened()
    const results = await Promise.allSettled([
      store.change(change({ section: 'users', key: 'c-amy', entity: { ...doc.users[0], display_name: 'One' } })),
      store.change(change({ section: 'users', key: 'c-bob', entity: { ...doc.users[1], display_name: 'Two' } })),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'GW_ERR_CONFIG_STALE_VERSION' })
  })

  it('reports an invalid rule with paths relative to the rule, shape and cross-reference alike', async () => {
    const { store } = await opened()
    const shape = await refusal(store.change(change({ section: 'rules', parent: 'p-002', key: 'fits', entity: { id: 'fits', kind: 'count_in_window', on: 'seizure_alarm', count: 1, window_s: 60, priority: 'high', alert_class: 'FITS' } })))
    expect(shape).toMatchObject({ code: 'GW_ERR_CONFIG_CHANGE_INVALID', status: 400 })
    expect(shape.details.issues).toEqual([{ path: ['count'], message: expect.stringContaining('2') }])
    const refs = await refusal(store.change(change({ section: 'rules', parent: 'p-002', key: 'fits', entity: { id: 'fits', kind: 'immediate', device: 'sz-r14', on: 'out_of_bed', priority: 'high', alert_class: 'FITS' } })))
    expect(refs.details.issues).toEqual([{ path: ['on'], message: "device type 'seizure-monitor' never sends 'out_of_bed', so this rule can never fire" }])
  })

  it('names a problem the change causes elsewhere with an empty path (disabling the only carer of a person)', async () => {
    const { store } = await opened()
    const err = await refusal(store.change(change({ section: 'users', key: 'c-bob', op: 'disable' })))
    expect(err.code).toBe('GW_ERR_CONFIG_CHANGE_INVALID')
    expect(err.details.issues).toEqual(expect.arrayContaining([{ path: [], message: expect.stringMatching(/^people 'p-002' › carers: every person needs at least one carer/) }]))
  })

  it('keeps a disabled device in the document and takes it, and the rules that watch only it, out of what runs', async () => {
    const { store } = await opened()
    const r = await store.change(change({ section: 'devices', key: 'sz-r14', op: 'disable', note: 'sent for repair' }))
    expect(r.after).toMatchObject({ id: 'sz-r14', disabled: true })
    expect(r.active.document.devices.map((d) => d.id)).toContain('sz-r14')
    expect(r.active.effective.config.devices.map((d) => d.id)).not.toContain('sz-r14')
    expect(r.active.effective.disabledDevices.get('sz-r14')?.reason).toBe('disabled')
    expect(r.active.effective.config.people.find((p) => p.id === 'p-002')!.rules).toEqual([])
    const back = await store.change(change({ section: 'devices', key: 'sz-r14', op: 'enable', baseVersion: 2 }))
    expect(back.after).not.toHaveProperty('disabled')
    expect(back.active.effective.config.devices.map((d) => d.id)).toContain('sz-r14')
  })

  it('refuses renaming an id, an unknown entity to disable, and a rule of an unknown person', async () => {
    const { store, doc } = await opened()
    const rename = await refusal(store.change(change({ section: 'devices', key: 'bed-r12', entity: { ...doc.devices[0], id: 'bed-r13' } })))
    expect(rename.details.issues).toEqual([{ path: ['id'], message: expect.stringContaining('ids cannot be renamed') }])
    expect(await refusal(store.change(change({ section: 'devices', key: 'nope', op: 'disable' })))).toMatchObject({ code: 'GW_ERR_CONFIG_NOT_FOUND', status: 404 })
    expect(await refusal(store.change(change({ section: 'rules', parent: 'p-404', key: 'r', op: 'put', entity: {} })))).toMatchObject({ code: 'GW_ERR_CONFIG_NOT_FOUND' })
  })

  it('addresses ladders by site.priority and shifts by position', async () => {
    const { store } = await opened()
    const ladder = await store.change(change({ section: 'escalation', key: 'oak-house.high', entity: { site: 'oak-house', priority: 'high', steps: [{ to: 'assigned', wait_s: 30 }, { to: 'all', wait_s: 30 }] } }))
    expect(ladder).toMatchObject({ created: true, version: 2 })
    const shift = await store.change(change({ section: 'rota', key: '0', baseVersion: 2, entity: { site: 'oak-house', user: 'c-amy', from: '07:00', to: '19:00' } }))
    expect(shift).toMatchObject({ created: true, version: 3 })
    const wrong = await refusal(store.change(change({ section: 'rota', key: '5', baseVersion: 3, entity: { site: 'oak-house', user: 'c-bob', from: '19:00', to: '07:00' } })))
    expect(wrong.details.issues).toEqual([{ path: [], message: 'a new shift goes at position 1, not 5' }])
  })

  it('saves nothing when the entity is unchanged', async () => {
    const { store, doc, deps } = await opened()
    const r = await store.change(change({ section: 'users', key: 'c-amy', entity: doc.users[0] }))
    expect(r).toMatchObject({ changed: false, version: 1 })
    expect(deps.repo.latest()!.version).toBe(1)
  })
})
