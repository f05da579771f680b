import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { registryContext } from '../registry-context.js'
import { effectiveConfig } from './effective.js'
import { describePath, relativeToEntity, traceToDocument } from './issue-paths.js'
import { buildConfigSchema, type GatewayConfig } from './schema.js'

const doc = buildConfigSchema(registryContext).parse(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'e2e-config.json'), 'utf8'))) as GatewayConfig

describe('validation paths, from the effective configuration to the document to the entity', () => {
  it('traces people, rules and devices by id when disabled entities shift the indexes', () => {
    const withDisabled: GatewayConfig = { ...doc, people: [{ ...doc.people[0]!, disabled: true }, ...doc.people.slice(1)] }
    const eff = effectiveConfig(withDisabled).config
    // p-002 is index 0 in the effective configuration and index 1 in the document.
    expect(eff.people[0]!.id).toBe('p-002')
    expect(traceToDocument(withDisabled, eff, ['people', 0, 'rules', 0, 'on'])).toEqual(['people', 1, 'rules', 0, 'on'])
    expect(traceToDocument(withDisabled, eff, ['devices', 0, 'site'])).toEqual(['devices', 1, 'site'])
    expect(traceToDocument(withDisabled, eff, ['sites', 0, 'timezone'])).toEqual(['sites', 0, 'timezone'])
  })

  it('makes issues inside the entity relative and names the place of the others', () => {
    const issues = [
      { path: ['people', 1, 'rules', 0, 'delay_s'], message: 'too long' },
      { path: ['people', 1, 'carers', 0], message: "unknown user 'x'" },
      { path: ['devices', 0, 'person'], message: 'unknown person' },
    ]
    expect(relativeToEntity(doc, ['people', 1, 'rules', 0], issues)).toEqual([
      { path: ['delay_s'], message: 'too long' },
      { path: [], message: "people 'p-002' › carers.0: unknown user 'x'" },
      { path: [], message: "devices 'bed-r12' › person: unknown person" },
    ])
    expect(relativeToEntity(doc, ['people', 1], issues)[0]).toEqual({ path: ['rules', 0, 'delay_s'], message: 'too long' })
  })

  it('describes ladders by site and priority and rules by id', () => {
    const withLadder: GatewayConfig = { ...doc, escalation: [{ site: 'oak-house', priority: 'high', steps: [{ to: 'all', wait_s: 60 }] }] }
    expect(describePath(withLadder, ['escalation', 0, 'steps', 0, 'to'])).toBe("escalation 'oak-house.high' › steps.0.to")
    expect(describePath(doc, ['people', 0, 'rules', 0, 'device'])).toBe("people 'p-001' › rules 'bed-exit-night' › device")
  })
})
