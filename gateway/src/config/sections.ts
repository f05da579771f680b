import type { z } from 'zod'
import { ruleSchema } from '../rules/rule-config.js'
import { ladderSchema, shiftSchema } from '../routing/escalation-config.js'
import { deviceSchema, type GatewayConfig, pagerSchema, personSchema, userSchema } from './schema.js'

/** Sections the AT team edits in the web app and the API; the others (sites, lines, inputs, broker…) need the file and a restart. */
export const editableSections = ['people', 'devices', 'users', 'pagers', 'escalation', 'rota', 'rules'] as const
export type EditableSection = (typeof editableSections)[number]

/** Sections read-only in the web app in this release. */
export const fileOnlySections = ['sites', 'lines', 'inputs', 'zigbee2mqtt', 'broker', 'ingest', 'retention'] as const

/**
 * How each section's entities are addressed in URLs: by `id`; ladders by `<site>.<priority>` (one ladder per
 * pair); shifts by their position in the rota (safe because every change names the version it was based on).
 * Rules live under their person (`people/<id>/rules/<rule id>`).
 */
export const sectionSchemas: { readonly [S in EditableSection]: z.ZodType } = {
  people: personSchema, devices: deviceSchema, users: userSchema, pagers: pagerSchema,
  escalation: ladderSchema, rota: shiftSchema, rules: ruleSchema,
}

/** The key of an entity as it appears in URLs. */
export function entityKey(sectionName: EditableSection, entity: unknown, index: number): string {
  const e = entity as { id?: string; site?: string; priority?: string }
  if (sectionName === 'escalation') return `${e.site}.${e.priority}`
  if (sectionName === 'rota') return String(index)
  return String(e.id)
}

/** Where an entity is (or would be appended) in the document; `index` is -1 when the key is not there. */
export interface Located {
  /** The array holding the section's entities (a person's rules for `rules`). */
  readonly list: readonly unknown[]
  readonly index: number
  /** Path of the entity in the document, for issues; for a new entity, the slot it would take. */
  readonly path: (string | number)[]
  /** Person the entity belongs to (people, rules, devices), for the audit row's person column. */
  readonly personIndex?: number
}

/** Find `key` in a section of `doc`. Throws a plain Error naming the parent for rules of an unknown person. */
export function locate(doc: GatewayConfig, sectionName: EditableSection, key: string, parent?: string): Located | null {
  if (sectionName === 'rules') {
    const pi = doc.people.findIndex((p) => p.id === parent)
    if (pi < 0) return null
    const list = doc.people[pi]!.rules
    const index = list.findIndex((r) => r.id === key)
    return { list, index, path: ['people', pi, 'rules', index < 0 ? list.length : index], personIndex: pi }
  }
  const list = doc[sectionName] as readonly unknown[]
  const index = list.findIndex((e, i) => entityKey(sectionName, e, i) === key)
  return { list, index, path: [sectionName, index < 0 ? list.length : index] }
}
