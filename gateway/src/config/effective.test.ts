import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { registryContext } from '../registry-context.js'
import { indexConfig, refreshIndex } from './config-index.js'
import { effectiveConfig } from './effective.js'
import { buildConfigSchema, type GatewayConfig } from './schema.js'

const doc = buildConfigSchema(registryContext).parse(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'e2e-config.json'), 'utf8'))) as GatewayConfig

describe('what runs: disabled entities taken out, with their consequences', () => {
  it('a disabled user is nobody\'s carer and has no pager; a fallback to a disabled pager is dropped', () => {
    const d: GatewayConfig = {
      ...doc,
      users: doc.users.map((u) => (u.id === 'c-amy' ? { ...u, disabled: true } : u)),
      pagers: [...doc.pagers, { id: 'espa-bob', user: 'c-bob', protocol: 'soft', max_length: 40, fallback: 'soft-bob' }].map((p) => (p.id === 'soft-bob' ? { ...p, disabled: true } : p)),
    }
    const e = effectiveConfig(d).config
    expect(e.users.map((u) => u.id)).not.toContain('c-amy')
    expect(e.people.find((p) => p.id === 'p-001')!.carers).toEqual(['c-bob'])
    expect(e.pagers.map((p) => p.id)).toEqual(['espa-bob'])
    expect(e.pagers[0]).not.toHaveProperty('fallback')
  })

  it('a disabled person takes their devices out of service, with the reason', () => {
    const d: GatewayConfig = { ...doc, people: doc.people.map((p) => (p.id === 'p-001' ? { ...p, disabled: true } : p)) }
    const e = effectiveConfig(d)
    expect(e.config.people.map((p) => p.id)).toEqual(['p-002'])
    expect(e.config.devices.map((x) => x.id)).toEqual(['sz-r14'])
    expect(e.disabledDevices.get('bed-r12')?.reason).toBe("its person 'p-001' is disabled")
  })

  it('a disabled rule is not evaluated, and the document is left as it was', () => {
    const d: GatewayConfig = { ...doc, people: doc.people.map((p) => (p.id === 'p-002' ? { ...p, rules: p.rules.map((r) => ({ ...r, disabled: true })) } : p)) }
    expect(effectiveConfig(d).config.people.find((p) => p.id === 'p-002')!.rules).toEqual([])
    expect(d.people.find((p) => p.id === 'p-002')!.rules).toHaveLength(1)
  })

  it('refreshes the shared index in place: same object, same maps, new contents', () => {
    const index = indexConfig(doc)
    const devices = index.devices
    const d: GatewayConfig = { ...doc, devices: doc.devices.map((x) => (x.id === 'sz-r14' ? { ...x, disabled: true } : x)) }
    const e = effectiveConfig(d)
    refreshIndex(index, e.config, e.disabledDevices)
    expect(index.devices).toBe(devices)
    expect(devices.has('sz-r14')).toBe(false)
    expect(index.disabledDevices.get('sz-r14')?.reason).toBe('disabled')
    expect(index.config).toBe(e.config)
  })
})
