import type { AuditKind } from '../core/audit.js'

/**
 * Which parts of an audit row are personal text (issue 8, data protection), and how they are kept apart.
 *
 * The rule: an audit row refers to people only by pseudonymous id (person_id, device_id, alert_id, user ids).
 * Text that identifies a person or says something about them in words goes into `personal_data`, and the
 * row keeps a reference in its place: `note` becomes `note_ref: "pd-…"`. Per kind:
 *
 * | kind | personal field(s) | why |
 * |---|---|---|
 * | `alert.transition` | `note` | close notes are free text written by carers |
 * | `notification.transition` | `text` | pager text carries the room code |
 * | `pager.frame` | `hex` | the frame bytes carry the pager text |
 * | `suppression.set` | `reason` | free text ("in hospital with a chest infection") |
 * | `rule.decision` | the suppression reason quoted in `reason` | a suppressed decision quotes the suppression's reason; the rest of the explanation stays |
 * | `config.changed` (people) | `room_code`, `pager_template`, `restrictions` in `before`/`after` | what links the pseudonymous id to a room, and what the restrictions reveal about the person's needs |
 *
 * Everything else stays in the row: ids, states, times, outcomes, rule explanations (which are generated
 * from the rule and the event, never free text), staff ids. Erasing a person deletes their personal_data
 * rows; the audit rows, and so the hash chain, are untouched, and views show `"(erased)"` in their place.
 */

/** Shown wherever personal text was erased (or removed by retention). */
export const ERASED = '(erased)'

/** Every personal-data reference starts with this. */
export const REF_PREFIX = 'pd-'

/** Stores one personal value and returns its reference. `kind` says what the value is (`close_note`, `pager_text`…). */
export type Take = (kind: string, value: unknown) => string

type Detail = Readonly<Record<string, unknown>>

const present = (v: unknown) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)

/** Moves `field` to personal data, leaving `<field>_ref`. */
function move(detail: Detail, field: string, kind: string, take: Take): Detail {
  if (!present(detail[field])) return detail
  const { [field]: value, ...rest } = detail
  return { ...rest, [`${field}_ref`]: take(kind, value) }
}

/** The person entity's fields that are personal (config.changed before/after). */
const personFields: readonly [field: string, kind: string][] = [['room_code', 'room_code'], ['pager_template', 'pager_template'], ['restrictions', 'restrictions']]

function personEntity(entity: unknown, take: Take): unknown {
  if (!entity || typeof entity !== 'object' || Array.isArray(entity)) return entity
  let out = entity as Detail
  for (const [field, kind] of personFields) out = move(out, field, kind, take)
  return out
}

/**
 * A suppressed decision's reason as rules/gate.ts words it: `suppressed: <kind words> (<reason>; set by <actor>,
 * until <time>): <the rule's own reason>`. The greedy middle group takes free text containing "; set by" too.
 * `personal-fields.test.ts` runs gate() itself, so a change of wording there fails a test here.
 */
const suppressedReason = /^(suppressed: (?:carer present|person away|device in maintenance) \()([\s\S]*)(; set by [^\s,]+, until [^)]*\): [\s\S]*)$/

function ruleDecision(detail: Detail, take: Take): Detail {
  const m = typeof detail.reason === 'string' ? suppressedReason.exec(detail.reason) : null
  if (!m) return detail
  // The row keeps the explanation with the free text cut out; the full reason is personal data.
  return { ...detail, reason: `${m[1]}…${m[3]}`, reason_ref: take('suppressed_reason', detail.reason) }
}

const separators: Partial<Record<AuditKind, (d: Detail, take: Take) => Detail>> = {
  'alert.transition': (d, take) => move(d, 'note', 'close_note', take),
  'notification.transition': (d, take) => move(d, 'text', 'pager_text', take),
  'pager.frame': (d, take) => move(d, 'hex', 'pager_frame', take),
  'suppression.set': (d, take) => move(d, 'reason', 'suppression_reason', take),
  'rule.decision': ruleDecision,
  'config.changed': (d, take) => (d.section === 'people' ? { ...d, before: personEntity(d.before, take), after: personEntity(d.after, take) } : d),
}

/** The detail to write into the audit row: personal text replaced by references (stored through `take`). */
export function separatePersonal(kind: AuditKind, detail: Detail, take: Take): Detail {
  return separators[kind]?.(detail, take) ?? detail
}

const isRef = (key: string, v: unknown): v is string => key.endsWith('_ref') && typeof v === 'string' && v.startsWith(REF_PREFIX)

/**
 * The detail as views show it: each `<field>_ref` gets `<field>` back with the stored value, or `"(erased)"`
 * once it is gone (unless the row kept a redacted `<field>` of its own, as suppressed decisions do). The
 * reference itself stays, so a reader can tell the value came from personal data.
 */
export function resolvePersonal(detail: Detail, lookup: (ref: string) => unknown): Record<string, unknown> {
  return resolveObject(detail, lookup)
}

function resolveValue(v: unknown, lookup: (ref: string) => unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => resolveValue(x, lookup))
  if (v && typeof v === 'object') return resolveObject(v as Detail, lookup)
  return v
}

function resolveObject(obj: Detail, lookup: (ref: string) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(obj)) out[k] = resolveValue(v, lookup)
  for (const [k, v] of Object.entries(obj)) {
    if (!isRef(k, v)) continue
    const field = k.slice(0, -4)
    const value = lookup(v)
    if (value !== undefined) out[field] = value
    else if (!(field in obj)) out[field] = ERASED
  }
  return out
}

/** Every personal-data reference in a detail (nested included). */
export function refsIn(detail: unknown): string[] {
  if (Array.isArray(detail)) return detail.flatMap(refsIn)
  if (!detail || typeof detail !== 'object') return []
  return Object.entries(detail as Detail).flatMap(([k, v]) => (isRef(k, v) ? [v] : refsIn(v)))
}
