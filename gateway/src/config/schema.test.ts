import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { GatewayError } from '../core/errors.js'
// The composition root only starts the gateway when run directly; importing it gives the registry context.
import { registryContext } from '../main.js'
import { deviceAdapters } from '../../../device-adapters/src/index.js'
import { loadConfig, parseConfig } from './load.js'

const demoFile = fileURLToPath(new URL('../../../config/demo.json', import.meta.url))
const demo = (): any => JSON.parse(readFileSync(demoFile, 'utf8'))

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, registryContext, 'test.json')
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError)
    expect((err as GatewayError).code).toBe('GW_ERR_CONFIG_INVALID')
    return (err as GatewayError).details.problems as string[]
  }
  throw new Error('configuration was accepted')
}

/** Independent mistakes, each with the one problem it must produce (list positions do not collide). */
const mistakes: { what: string; apply: (c: any) => void; problem: string }[] = [
  { what: 'an unknown device type', apply: (c) => c.devices.push({ id: 'door-r12', type: 'acme-dc200', site: 'oak-house', person: 'p-001' }), problem: `devices.2.type: unknown device type 'acme-dc200' (known: ${deviceAdapters.map((a) => a.id).join(', ')})` },
  { what: "a rule on another person's device", apply: (c) => c.people[1].rules.push({ id: 'bed-exit', kind: 'bed_exit', device: 'bed-r12', delay_s: 60 }), problem: "people.1.rules.1.device: device 'bed-r12' belongs to person 'p-001', not to this person" },
  { what: 'a rule on an event the device never sends', apply: (c) => (c.people[1].rules[0].on = 'seizure_start'), problem: "people.1.rules.0.on: device type 'seizure-monitor' never sends 'seizure_start', so this rule can never fire" },
  { what: 'a carer with no pager', apply: (c) => c.users.push({ id: 'c-cat', role: 'carer', display_name: 'Cat' }), problem: "users.4: carer 'c-cat' has no pager, so alerts cannot reach them" },
  { what: 'an unknown site', apply: (c) => c.people.push({ id: 'p-003', site: 'elm-house', room_code: 'R20', carers: ['c-amy'] }), problem: "people.2.site: unknown site 'elm-house'" },
  { what: 'a duplicate id', apply: (c) => c.pagers.push({ id: 'soft-amy', user: 'tl-kim', protocol: 'soft' }), problem: "pagers.2.id: duplicate id 'soft-amy'" },
  { what: 'a bad room code', apply: (c) => (c.people[1].room_code = 'Room #14'), problem: 'people.1.room_code: room codes are short letters/digits, e.g. "R12"' },
  { what: 'an unknown pager protocol', apply: (c) => (c.pagers[1].protocol = 'snpp'), problem: "pagers.1.protocol: unknown pager protocol 'snpp' (known: soft, espa, tap)" },
  { what: 'an unknown carer', apply: (c) => c.people[0].carers.push('c-zed'), problem: "people.0.carers.2: unknown user 'c-zed'" },
  { what: 'a template placeholder other than room code and class', apply: (c) => (c.people[0].pager_template = '{room_code} {name}'), problem: 'people.0.pager_template: only the placeholders {room_code} and {alert_class} may be used (the text in braces is not repeated here: it may be personal)' },
  { what: 'an unknown time zone', apply: (c) => (c.sites[0].timezone = 'Europe/Londn'), problem: "sites.0.timezone: unknown time zone 'Europe/Londn'" },
]

describe('parseConfig', () => {
  it('accepts the shipped config/demo.json and fills the defaults', () => {
    const config = parseConfig(demo(), registryContext, demoFile)
    expect(config.people.map((p) => p.id)).toEqual(['p-001', 'p-002'])
    expect(config.ingest).toEqual({ max_payload_bytes: 4096 })
    expect(config.people[0]!.pager_template).toBe('{room_code} {alert_class}')
  })

  it('builds its registry context from the adapter and driver registries', () => {
    expect([...registryContext.deviceTypes.keys()]).toEqual(deviceAdapters.map((a) => a.id))
    expect(registryContext.deviceTypes.get('bed-monitor')).toEqual(expect.arrayContaining(['out_of_bed', 'in_bed']))
    expect(registryContext.pagerProtocols).toEqual(['soft', 'espa', 'tap'])
  })

  it.each(mistakes)('reports $what as "path: message"', ({ apply, problem }) => {
    const c = demo()
    apply(c)
    expect(problemsOf(c)).toEqual([problem])
  })

  it('reports every one of several independent mistakes at once, in the error message too', () => {
    const c = demo()
    for (const m of mistakes) m.apply(c)
    let err: GatewayError | undefined
    try {
      parseConfig(c, registryContext, 'bad.json')
    } catch (e) {
      err = e as GatewayError
    }
    expect(err).toMatchObject({ code: 'GW_ERR_CONFIG_INVALID', category: 'config' })
    expect([...(err!.details.problems as string[])].sort()).toEqual(mistakes.map((m) => m.problem).sort())
    expect(err!.message.startsWith('invalid configuration in bad.json:\n')).toBe(true)
    for (const m of mistakes) expect(err!.message).toContain(`  - ${m.problem}`)
  })

  it('returns a deep-frozen configuration', () => {
    const config = parseConfig(demo(), registryContext)
    const unfrozen: string[] = []
    const walk = (v: unknown, path: string) => {
      if (v === null || typeof v !== 'object') return
      if (!Object.isFrozen(v)) unfrozen.push(path)
      for (const [k, child] of Object.entries(v)) walk(child, `${path}.${k}`)
    }
    walk(config, '(root)')
    expect(unfrozen).toEqual([])
    expect(() => ((config.people[0]!.rules[0] as { delay_s: number }).delay_s = 0)).toThrow(TypeError)
    expect(() => (config.devices as unknown as unknown[]).push({})).toThrow(TypeError)
  })

  it('leaves the caller’s input object unfrozen', () => {
    const raw = demo()
    parseConfig(raw, registryContext)
    expect(Object.isFrozen(raw) || Object.isFrozen(raw.people[0])).toBe(false)
  })
})

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-config-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('an unreadable file is GW_ERR_CONFIG_UNREADABLE naming the path', () => {
    const path = join(dir, 'missing.json')
    expect(() => loadConfig(path, registryContext)).toThrow(expect.objectContaining({ code: 'GW_ERR_CONFIG_UNREADABLE', message: expect.stringContaining(`cannot read configuration file ${path}: ENOENT`) }))
  })

  it('a file that is not JSON is GW_ERR_CONFIG_INVALID with one "(file)" problem', () => {
    const path = join(dir, 'broken.json')
    writeFileSync(path, '{ "sites": [ }')
    expect(() => loadConfig(path, registryContext)).toThrow(expect.objectContaining({ code: 'GW_ERR_CONFIG_INVALID', details: { problems: [expect.stringMatching(/^\(file\): not valid JSON: /)] } }))
  })

  it('names the file in the message of an invalid configuration', () => {
    const path = join(dir, 'invalid.json')
    writeFileSync(path, JSON.stringify({ ...demo(), sites: [] }))
    expect(() => loadConfig(path, registryContext)).toThrow(`invalid configuration in ${path}:`)
  })
})
