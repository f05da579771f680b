import type { GatewayConfig } from './schema.js'

/** One validation problem: where (a path of keys and indexes) and what. */
export interface Issue {
  readonly path: readonly (string | number)[]
  readonly message: string
}

const idSections = new Set(['sites', 'people', 'devices', 'users', 'pagers', 'zigbee2mqtt', 'lines', 'inputs'])
type Doc = Readonly<GatewayConfig>
const section = (doc: Doc, name: string): readonly unknown[] => ((doc as unknown as Record<string, unknown>)[name] as unknown[] | undefined) ?? []

/**
 * An issue found in the effective configuration (config/effective.ts), whose arrays are filtered, traced back
 * to the same place in the document: id sections by id, rules by person and rule id, ladders and shifts by
 * object identity (the effective configuration keeps the document's own objects for those).
 */
export function traceToDocument(doc: Doc, eff: Doc, path: readonly (string | number)[]): (string | number)[] {
  const [name, i, ...rest] = path
  if (typeof name !== 'string' || typeof i !== 'number') return [...path]
  const item = section(eff, name)[i] as { id?: string } | undefined
  if (!item) return [...path]
  const docIndex = idSections.has(name) ? section(doc, name).findIndex((x) => (x as { id?: string }).id === item.id) : section(doc, name).indexOf(item)
  if (docIndex < 0) return [...path]
  if (name === 'people' && rest[0] === 'rules' && typeof rest[1] === 'number') {
    const rule = (item as GatewayConfig['people'][number]).rules[rest[1]]
    const j = doc.people[docIndex]!.rules.findIndex((r) => r.id === rule?.id)
    if (j >= 0) return [name, docIndex, 'rules', j, ...rest.slice(2)]
  }
  return [name, docIndex, ...rest]
}

/** A readable location in the document: `people 'p-001' › rules 'bed-exit' › delay_s`. */
export function describePath(doc: Doc, path: readonly (string | number)[]): string {
  if (path.length === 0) return '(the configuration)'
  const [name, i, ...rest] = path
  const item = typeof name === 'string' && typeof i === 'number' ? (section(doc, name)[i] as Record<string, unknown> | undefined) : undefined
  if (!item) return path.join('.')
  const label = typeof item.id === 'string' ? `'${item.id}'` : name === 'escalation' ? `'${String(item.site)}.${String(item.priority)}'` : `#${i}`
  const parts = [`${String(name)} ${label}`]
  if (name === 'people' && rest[0] === 'rules' && typeof rest[1] === 'number') {
    const rule = (item.rules as { id: string }[] | undefined)?.[rest[1]]
    parts.push(`rules '${rule?.id ?? rest[1]}'`)
    rest.splice(0, 2)
  }
  if (rest.length) parts.push(rest.join('.'))
  return parts.join(' › ')
}

/**
 * Issues made relative to the entity being edited (at `entityPath` in the document), so a form can show each
 * message next to its field. Problems elsewhere that the change causes (a person left without a carer when a
 * user is disabled) keep an empty path and name their place in the message: the form shows them at the top.
 */
export function relativeToEntity(doc: Doc, entityPath: readonly (string | number)[], issues: readonly Issue[]): Issue[] {
  return issues.map((issue) => {
    const inside = entityPath.every((k, n) => issue.path[n] === k)
    if (inside) return { path: issue.path.slice(entityPath.length), message: issue.message }
    return { path: [], message: `${describePath(doc, issue.path)}: ${issue.message}` }
  })
}
