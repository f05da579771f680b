/**
 * Registry and convention checks (ZHC `checks.test.ts` + `index.test.ts`): one file per device type and per pager
 * protocol, each listed once in its package index, named after its file, with working examples.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { deviceAdapters } from '../device-adapters/src/index.js'
import { pagerDrivers } from '../pager-bridge/src/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const snakeCase = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/

function moduleFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts')).map((f) => basename(f, '.ts')).sort()
}
const defaultExportOf = async (dir: string, name: string): Promise<unknown> => ((await import(pathToFileURL(join(root, dir, `${name}.ts`)).href)) as { default: unknown }).default
const importsIn = (indexFile: string) => [...readFileSync(join(root, indexFile), 'utf8').matchAll(/from\s+'(\.\/[^']+)'/g)].map((m) => m[1]!)

describe('device adapter registry', () => {
  const dir = 'device-adapters/src/devices'
  const files = moduleFiles(dir)

  it('has device files to check', () => {
    expect(files.length).toBeGreaterThan(0)
  })

  it.each(files)('devices/%s.ts is imported in device-adapters/src/index.ts and listed in deviceAdapters', async (name) => {
    expect(importsIn('device-adapters/src/index.ts')).toContain(`./devices/${name}.js`)
    expect(deviceAdapters).toContain(await defaultExportOf(dir, name))
  })

  it('deviceAdapters lists nothing that is not a file in devices/', () => {
    expect(deviceAdapters.map((a) => a.id).sort()).toEqual(files)
  })

  it.each(files)("adapter %s: id equals its file name", async (name) => {
    expect((await defaultExportOf(dir, name) as { id: string }).id).toBe(name)
  })

  it('adapter ids are unique', () => {
    const ids = deviceAdapters.map((a) => a.id)
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([])
  })

  it.each(deviceAdapters.map((a) => [a.id, a] as const))('adapter %s: event types are snake_case and described', (_id, adapter) => {
    const events = Object.entries(adapter.events)
    expect(events.length).toBeGreaterThan(0)
    for (const [type, meaning] of events) {
      expect(type).toMatch(snakeCase)
      expect(meaning.trim()).not.toBe('')
    }
  })

  const examples = deviceAdapters.flatMap((a) => a.examples.map((ex, i) => ({ id: a.id, i, adapter: a, ex })))
  it.each(examples)('adapter $id example $i decodes to exactly its declared events', ({ adapter, ex }) => {
    for (const e of ex.events) expect(Object.hasOwn(adapter.events, e.type)).toBe(true)
    const payload = typeof ex.payload === 'string' ? Buffer.from(ex.payload) : Buffer.from(JSON.stringify(ex.payload))
    const decoded = adapter.decode(payload, { previous: ex.previous, topicSuffix: ex.topicSuffix ?? null })
    expect(decoded.ok).toBe(true)
    if (decoded.ok) {
      expect(decoded.events.map((e) => e.type)).toEqual(ex.events.map((e) => e.type))
      for (const e of decoded.events) expect(e.at === null || Number.isFinite(e.at)).toBe(true)
    }
  })

  it.each(deviceAdapters.map((a) => [a.id, a] as const))('adapter %s is frozen', (_id, adapter) => {
    expect(Object.isFrozen(adapter)).toBe(true)
  })
})

describe('pager driver registry', () => {
  const dir = 'pager-bridge/src/drivers'
  const files = moduleFiles(dir)

  it('has driver files to check', () => {
    expect(files.length).toBeGreaterThan(0)
  })

  it.each(files)('drivers/%s.ts is imported in pager-bridge/src/index.ts and registered under its file name', async (name) => {
    expect(importsIn('pager-bridge/src/index.ts')).toContain(`./drivers/${name}.js`)
    expect(pagerDrivers[name]).toBe(await defaultExportOf(dir, name))
  })

  it('pagerDrivers has no key without a file in drivers/', () => {
    expect(Object.keys(pagerDrivers).sort()).toEqual(files)
  })

  it.each(Object.entries(pagerDrivers))('driver key %s == protocol == file name, and the driver has a config schema', (key, driver) => {
    expect(driver.protocol).toBe(key)
    expect(files).toContain(key)
    expect(typeof driver.config.safeParse).toBe('function')
    expect(typeof driver.create).toBe('function')
  })
})
