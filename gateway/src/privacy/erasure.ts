import { ERASED } from './personal-fields.js'

/**
 * What erasure does to a person's entry in a configuration document (issue 8): the room code and pager
 * template become `"(erased)"` (both still valid, so every stored version still loads), and restrictions
 * are removed (they are an enum list, and what they are says something about the person's needs). The
 * pseudonymous id, site, carers and rules stay: alerts, rule versions and audit rows keep pointing at them.
 */

type Entity = Record<string, unknown>

const isEntity = (v: unknown): v is Entity => !!v && typeof v === 'object' && !Array.isArray(v)

/** The person's entry with the personal fields erased, and whether anything changed. */
export function erasePersonEntity(person: Entity): { entity: Entity; changed: boolean } {
  const { restrictions, ...rest } = person
  const entity: Entity = { ...rest, room_code: ERASED, pager_template: ERASED }
  const changed = restrictions !== undefined || person.room_code !== ERASED || person.pager_template !== ERASED
  return { entity, changed }
}

/** Erases the person's entries in one whole document, in place; true when the document changed. */
export function eraseFromDocument(doc: unknown, personId: string): boolean {
  if (!isEntity(doc) || !Array.isArray(doc.people)) return false
  let changed = false
  doc.people = doc.people.map((p: unknown) => {
    if (!isEntity(p) || p.id !== personId) return p
    const e = erasePersonEntity(p)
    changed ||= e.changed
    return e.entity
  })
  return changed
}

/** The person's own entry and their devices in one document (null when the document does not mention them). */
export function subjectEntry(doc: unknown, personId: string): { person: Entity | null; devices: Entity[] } | null {
  if (!isEntity(doc)) return null
  const person = (Array.isArray(doc.people) ? doc.people : []).find((p: unknown) => isEntity(p) && p.id === personId) as Entity | undefined
  const devices = (Array.isArray(doc.devices) ? doc.devices : []).filter((d: unknown): d is Entity => isEntity(d) && d.person === personId)
  return person || devices.length ? { person: person ?? null, devices } : null
}
