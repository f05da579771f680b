import { describe, expect, it } from 'vitest'
import type { AuditKind } from '../core/audit.js'
import { gate } from '../rules/gate.js'
import type { RuleConfig } from '../rules/rule-config.js'
import { erasePersonEntity, eraseFromDocument, subjectEntry } from './erasure.js'
import { ERASED, refsIn, resolvePersonal, separatePersonal } from './personal-fields.js'

/** A `take` that keeps values in a map, with predictable references. */
function store() {
  const values = new Map<string, unknown>()
  const kinds: string[] = []
  const take = (kind: string, value: unknown) => {
    const ref = `pd-${values.size + 1}`
    values.set(ref, value)
    kinds.push(kind)
    return ref
  }
  return { values, kinds, take, lookup: (ref: string) => values.get(ref) }
}

const person = { id: 'p-002', site: 'oak-house', room_code: 'R14', pager_template: '{room_code} {alert_class}', carers: ['c-bob'], rules: [], restrictions: ['no_in_room_sounder'] }

describe('separatePersonal: which text leaves the audit row, per kind', () => {
  it.each<[string, AuditKind, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ['a close note', 'alert.transition', { from: 'acknowledged', to: 'closed', event: 'close', outcome: 'real', note: 'found on the floor' }, { from: 'acknowledged', to: 'closed', event: 'close', outcome: 'real', note_ref: 'pd-1' }, ['close_note']],
    ['a close without a note', 'alert.transition', { from: 'acknowledged', to: 'closed', event: 'close', outcome: 'test', note: null }, { from: 'acknowledged', to: 'closed', event: 'close', outcome: 'test', note: null }, []],
    ['a raise (rule explanation stays)', 'alert.transition', { from: null, to: 'new', reason: 'not back in bed within 2 s' }, { from: null, to: 'new', reason: 'not back in bed within 2 s' }, []],
    ['pager text', 'notification.transition', { notification_id: 'nt-1', to: 'queued', text: 'R14 SEIZURE' }, { notification_id: 'nt-1', to: 'queued', text_ref: 'pd-1' }, ['pager_text']],
    ['a pager frame', 'pager.frame', { line: 'espa-1', direction: 'tx', hex: '0131', what: 'call 1234' }, { line: 'espa-1', direction: 'tx', hex_ref: 'pd-1', what: 'call 1234' }, ['pager_frame']],
    ['a suppression reason', 'suppression.set', { suppression_id: 'sp-1', kind: 'away', reason: 'in hospital' }, { suppression_id: 'sp-1', kind: 'away', reason_ref: 'pd-1' }, ['suppression_reason']],
    ['a suppression cleared (no text)', 'suppression.cleared', { suppression_id: 'sp-1', kind: 'away' }, { suppression_id: 'sp-1', kind: 'away' }, []],
    ['a rule decision of the rule itself', 'rule.decision', { outcome: 'suppress', reason: 'suppressed: back in bed after 1 s, within the 2 s delay' }, { outcome: 'suppress', reason: 'suppressed: back in bed after 1 s, within the 2 s delay' }, []],
    ['a device change (no person fields)', 'config.changed', { section: 'devices', before: null, after: { id: 'bed-r15', person: 'p-002' } }, { section: 'devices', before: null, after: { id: 'bed-r15', person: 'p-002' } }, []],
    ['a file import', 'config.changed', { op: 'import', file: 'config/demo.json' }, { op: 'import', file: 'config/demo.json' }, []],
    ['an event received', 'event.received', { event_id: 'e1', type: 'out_of_bed' }, { event_id: 'e1', type: 'out_of_bed' }, []],
  ])('%s', (_name, kind, detail, expected, kinds) => {
    const s = store()
    expect(separatePersonal(kind, detail, s.take)).toEqual(expected)
    expect(s.kinds).toEqual(kinds)
    expect(resolvePersonal(separatePersonal(kind, detail, store().take), s.lookup)).toMatchObject(detail)
  })

  it('moves a person entity\'s room code, template and restrictions out of config.changed before and after', () => {
    const s = store()
    const d = separatePersonal('config.changed', { section: 'people', key: 'p-002', note: 'review', before: person, after: { ...person, room_code: 'R15' } }, s.take)
    expect(JSON.stringify(d)).not.toMatch(/R14|R15|room_code"|no_in_room_sounder|\{room_code\}/)
    expect(d).toMatchObject({ before: { id: 'p-002', carers: ['c-bob'], room_code_ref: 'pd-1', pager_template_ref: 'pd-2', restrictions_ref: 'pd-3' }, after: { room_code_ref: 'pd-4' } })
    expect(refsIn(d)).toHaveLength(6)
    expect(resolvePersonal(d, s.lookup)).toMatchObject({ before: person, after: { room_code: 'R15', restrictions: ['no_in_room_sounder'] } })
  })

  it('cuts the free text out of a suppressed decision as rules/gate.ts words it, keeping the explanation', () => {
    const why = 'in hospital; set by mistake? no: chest infection'
    const rule = { id: 'seizure', kind: 'immediate' } as unknown as RuleConfig
    const { decision } = gate(rule, { outcome: 'raise', reason: 'seizure alarm', alert: { alertClass: 'SEIZURE', priority: 'high', kind: 'care' } }, Date.UTC(2026, 0, 1, 3), [], {
      inHours: () => true, describeHours: 'always',
      suppressions: [{ id: 'sp-1', kind: 'away', scope: 'person', target: 'p-002', reason: why, setBy: 'user:tl-kim', expiresAt: Date.UTC(2026, 0, 2) }],
    })
    const s = store()
    const d = separatePersonal('rule.decision', { rule_id: 'seizure', outcome: decision.outcome, reason: decision.reason }, s.take)
    expect(JSON.stringify(d)).not.toContain('chest infection')
    expect(d.reason).toMatch(/^suppressed: person away \(…; set by user:tl-kim, until .*\): seizure alarm$/)
    expect(resolvePersonal(d, s.lookup).reason).toBe(decision.reason)
    // Once erased, the row keeps its explanation without the words.
    expect(resolvePersonal(d, () => undefined).reason).toBe(d.reason)
  })
})

describe('resolvePersonal', () => {
  it('shows "(erased)" where the value is gone, and keeps the reference', () => {
    expect(resolvePersonal({ to: 'closed', note_ref: 'pd-9' }, () => undefined)).toEqual({ to: 'closed', note_ref: 'pd-9', note: ERASED })
  })
  it('leaves look-alike keys alone', () => {
    expect(resolvePersonal({ order_ref: 'ab-12', n: 1 }, () => 'x')).toEqual({ order_ref: 'ab-12', n: 1 })
  })
})

describe('erasure of configuration entries', () => {
  it('replaces room code and template with "(erased)" and drops restrictions, keeping ids, carers and rules', () => {
    expect(erasePersonEntity(person)).toEqual({ changed: true, entity: { id: 'p-002', site: 'oak-house', room_code: ERASED, pager_template: ERASED, carers: ['c-bob'], rules: [] } })
    expect(erasePersonEntity(erasePersonEntity(person).entity).changed).toBe(false)
  })
  it('erases one person in a whole document and leaves the others', () => {
    const doc = { people: [person, { ...person, id: 'p-001', room_code: 'R12' }], devices: [{ id: 'sz-r14', person: 'p-002' }, { id: 'bed-r12', person: 'p-001' }] }
    expect(subjectEntry(doc, 'p-002')).toEqual({ person, devices: [{ id: 'sz-r14', person: 'p-002' }] })
    expect(eraseFromDocument(doc, 'p-002')).toBe(true)
    expect(JSON.stringify(doc)).not.toContain('R14')
    expect(doc.people[1]).toMatchObject({ room_code: 'R12', restrictions: ['no_in_room_sounder'] })
    expect(eraseFromDocument(doc, 'p-002')).toBe(false)
    expect(subjectEntry(doc, 'p-404')).toBeNull()
  })
})
