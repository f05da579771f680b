/** The error catalogue and docs/errors.md agree (fastify `test/internals/errors.test.js`). */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type ErrorCode, errorCatalogue, GatewayError, gatewayError, isGatewayError } from '../gateway/src/core/errors.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8')
const codes = Object.keys(errorCatalogue) as ErrorCode[]

/** Table rows of docs/errors.md: | `CODE` | category | status | meaning | what to do | */
const rows = new Map(
  doc
    .split('\n')
    .map((line) => /^\|\s*`(GW_ERR_[A-Z0-9_]+)`\s*\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, { category: m[2]!.trim(), status: Number(m[3]!.trim()), meaning: m[4]!.trim(), todo: m[5]!.trim() }]),
)

describe('error catalogue', () => {
  it.each(codes)('%s is documented in docs/errors.md with its category, status, meaning and what to do', (code) => {
    const row = rows.get(code)
    expect(row, `${code} has no row in docs/errors.md`).toBeDefined()
    expect(row).toMatchObject({ category: errorCatalogue[code].category, status: errorCatalogue[code].status })
    expect(row!.meaning.length).toBeGreaterThan(10)
    expect(row!.todo.length).toBeGreaterThan(5)
  })

  it('docs/errors.md names no code that is not in the catalogue', () => {
    const named = new Set(doc.match(/GW_ERR_[A-Z0-9_]+/g) ?? [])
    expect([...named].filter((c) => !(c in errorCatalogue))).toEqual([])
  })

  it('docs/errors.md documents each code exactly once', () => {
    const documented = doc.split('\n').map((l) => /^\|\s*`(GW_ERR_[A-Z0-9_]+)`/.exec(l)?.[1]).filter(Boolean)
    expect(documented.sort()).toEqual([...codes].sort())
  })

  it.each(codes)('%s follows GW_ERR_<AREA>[_<WHAT>] and has an HTTP error status', (code) => {
    expect(code).toMatch(/^GW_ERR_[A-Z]+(_[A-Z]+)*$/)
    expect(errorCatalogue[code].status).toBeGreaterThanOrEqual(400)
    expect(errorCatalogue[code].status).toBeLessThan(600)
  })

  it('fills template slots in order, and builds a GatewayError that carries code, category, status, details and cause', () => {
    const cause = new Error('disk full')
    const e = gatewayError('GW_ERR_INPUT_WRONG_SITE', ['bed-r12', 'oak-house', 'elm-house'], { hint: 1 }, cause)
    expect(e).toBeInstanceOf(GatewayError)
    expect(e).toMatchObject({ name: 'GatewayError', code: 'GW_ERR_INPUT_WRONG_SITE', category: 'input', status: 403, details: { hint: 1 }, cause })
    expect(e.message).toBe("device 'bed-r12' belongs to site 'oak-house', not 'elm-house'")
    expect(isGatewayError(e, 'GW_ERR_INPUT_WRONG_SITE')).toBe(true)
    expect(isGatewayError(e, 'GW_ERR_BUG')).toBe(false)
    expect(isGatewayError(new Error('x'))).toBe(false)
  })

  it('every code raised in the source exists in the catalogue (no typos hidden behind casts)', () => {
    const walk = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [`${dir}/${e.name}`] : []))
    const used = ['gateway/src', 'broker/src', 'device-adapters/src', 'pager-bridge/src'].flatMap(walk).flatMap((f) => readFileSync(join(root, f), 'utf8').match(/GW_ERR_[A-Z0-9_]+/g) ?? [])
    expect([...new Set(used)].filter((c) => !(c in errorCatalogue))).toEqual([])
  })
})
