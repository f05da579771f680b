// What each configuration section looks like on screen: its list columns, its form fields, the zod schema the
// browser checks with before sending (the server's own schema objects, bundled in), and its URL key.
import type { z } from 'zod'
import { deviceSchema, pagerSchema, personSchema, userSchema } from '../../src/config/schema.js'
import { ladderSchema, shiftSchema } from '../../src/routing/escalation-config.js'
import { ruleSchema } from '../../src/rules/rule-config.js'
import type { Field } from './admin-form.js'

export type Entity = Record<string, unknown>
export type Doc = Record<string, Entity[]> & { people: (Entity & { id: string; rules: Entity[] })[] }

/** What the forms need from `GET /api/config/context`. */
export interface Context {
  device_types: { id: string; events: string[]; family: string | null }[]
  pager_protocols: { id: string; uses_line: boolean; max_text: number | null }[]
  lines: { id: string; protocol: string; site: string }[]
  sites: { id: string; timezone: string }[]
  bridges: { id: string; site: string }[]
  users: { id: string; role: string; display_name: string; disabled: boolean }[]
  restrictions: string[]
  priorities: string[]
  step_targets: string[]
  weekdays: string[]
  rule_kinds: string[]
}

export type SectionId = 'people' | 'devices' | 'rules' | 'escalation' | 'rota' | 'pagers' | 'users'

export interface Section {
  readonly id: SectionId
  readonly title: string
  /** One entity, in words, for buttons and headings. */
  readonly noun: string
  readonly schema: z.ZodType
  readonly columns: readonly (readonly [label: string, value: (e: Entity, doc: Doc) => string])[]
  fields(ctx: Context, doc: Doc, entity: Entity, personId?: string): Field[]
  /** The URL key (`people/<id>`, `escalation/<site>.<priority>`, `rota/<position>`). */
  key(e: Entity, index: number): string
  /** A starting entity for "Add". */
  blank(ctx: Context, doc: Doc, personId?: string): Entity
}

const opts = (values: readonly string[], none?: string): [string, string][] => [...(none !== undefined ? [['', none] as [string, string]] : []), ...values.map((v) => [v, v] as [string, string])]
const userName = (ctx: Context, id: string) => ctx.users.find((u) => u.id === id)?.display_name ?? id
const priorityField: Field = { path: 'priority', label: 'Priority', kind: 'select', options: [['high', 'high'], ['medium', 'medium'], ['low', 'low']] }

/** Events the person's devices send (for the rule form's suggestions). */
export function eventsOf(ctx: Context, doc: Doc, personId: string | undefined, deviceId?: unknown): string[] {
  const devices = (doc.devices ?? []).filter((d) => d.person === personId && (deviceId === undefined || d.id === deviceId))
  return [...new Set(devices.flatMap((d) => ctx.device_types.find((t) => t.id === d.type)?.events ?? []))].sort()
}

/** Kind-specific rule fields (rules/rule-config.ts). */
function ruleKindFields(kind: string, events: string[]): Field[] {
  const ev = (path: string, label: string, hint?: string): Field => ({ path, label, kind: 'text', suggestions: events, required: true, ...(hint ? { hint } : {}) })
  const secs = (path: string, label: string, required = true, hint?: string): Field => ({ path, label, kind: 'number', required, ...(hint ? { hint } : {}) })
  const delay = [secs('delay_s', 'Delay (seconds)', true, 'Alert only if not cancelled within this time.'), secs('realert_after_s', 'Alert again after (seconds)', false), secs('min_armed_s', 'Armed only after (seconds)', false, 'Monitoring arms once the cancel state has held this long.')]
  switch (kind) {
    case 'bed_exit': return delay
    case 'delay_confirm': return [ev('start', 'Start event'), ev('cancel', 'Cancel event'), ...delay]
    case 'immediate': return [ev('on', 'Alarm event'), { path: 'clears', label: 'Clearing event', kind: 'text', suggestions: events }]
    case 'sustained': return [ev('start', 'Start event'), ev('stop', 'Stop event'), secs('min_duration_s', 'Lasting at least (seconds)')]
    case 'count_in_window': return [ev('on', 'Event'), secs('count', 'How many'), secs('window_s', 'Within (seconds)')]
    case 'expected_by': return [ev('expect', 'Expected event'), { path: 'from', label: 'From (local time)', kind: 'time', required: true }, { path: 'by', label: 'By (local time)', kind: 'time', required: true }]
    case 'inactivity': return [{ path: 'on', label: 'Activity events', kind: 'list', required: true, hint: `Comma-separated. Known: ${events.join(', ') || 'none'}.` }, secs('period_s', 'No activity for (seconds)')]
    default: return []
  }
}

export const sections: Readonly<Record<SectionId, Section>> = {
  people: {
    id: 'people', title: 'People', noun: 'person', schema: personSchema,
    columns: [['Id', (e) => String(e.id)], ['Room', (e) => String(e.room_code)], ['Site', (e) => String(e.site)], ['Carers', (e) => (e.carers as string[]).join(', ')], ['Rules', (e) => String((e.rules as unknown[]).length)], ['Never near them', (e) => ((e.restrictions as string[] | undefined) ?? []).join(', ') || '—']],
    fields: (ctx) => [
      { path: 'id', label: 'Id (pseudonymous, never a name)', kind: 'text', required: true, fixedOnEdit: true },
      { path: 'site', label: 'Site', kind: 'select', options: opts(ctx.sites.map((s) => s.id)) },
      { path: 'room_code', label: 'Room code', kind: 'text', required: true, hint: 'What pagers show, e.g. R12.' },
      { path: 'pager_template', label: 'Pager text template', kind: 'text', hint: 'Only {room_code} and {alert_class}; no free text about the person.' },
      { path: 'carers', label: 'Carers', kind: 'checks', options: ctx.users.filter((u) => u.role === 'carer' || u.role === 'team_leader').map((u) => [u.id, `${u.display_name} (${u.id})${u.disabled ? ', disabled' : ''}`]) },
      { path: 'restrictions', label: 'Must never happen near this person', kind: 'checks', options: ctx.restrictions.map((r) => [r, r.replace(/_/g, ' ')]) },
      { path: 'presence_timeout_s', label: 'Carer-present timeout (seconds)', kind: 'number' },
    ],
    key: (e) => String(e.id),
    blank: (ctx) => ({ id: '', site: ctx.sites[0]?.id ?? '', room_code: '', carers: [], rules: [] }),
  },
  devices: {
    id: 'devices', title: 'Devices', noun: 'device', schema: deviceSchema,
    columns: [['Id', (e) => String(e.id)], ['Type', (e) => String(e.type)], ['Person', (e, d) => `${String(e.person)} (${String(d.people.find((p) => p.id === e.person)?.room_code ?? '?')})`], ['Site', (e) => String(e.site)]],
    fields: (ctx, doc) => [
      { path: 'id', label: 'Id (its MQTT user name)', kind: 'text', required: true, fixedOnEdit: true },
      { path: 'type', label: 'Device type', kind: 'select', options: opts(ctx.device_types.map((t) => t.id)) },
      { path: 'site', label: 'Site', kind: 'select', options: opts(ctx.sites.map((s) => s.id)) },
      { path: 'person', label: 'Person', kind: 'select', options: doc.people.map((p) => [p.id, `${p.id} (${String(p.room_code)})`]) },
      { path: 'z2m.bridge', label: 'zigbee2mqtt bridge (zigbee devices only)', kind: 'select', options: opts(ctx.bridges.map((b) => b.id), '(not a zigbee2mqtt device)') },
      { path: 'z2m.friendly_name', label: 'zigbee2mqtt friendly name', kind: 'text' },
      { path: 'supervision.interval_s', label: 'Reports at least every (seconds)', kind: 'number', hint: "Leave empty for the device type's window; 0 switches supervision off." },
      { path: 'supervision.grace_s', label: 'Grace (seconds)', kind: 'number' },
      { path: 'not_reporting_priority', label: '"Not reporting" priority', kind: 'select', options: [['medium', 'medium'], ['high', 'high'], ['low', 'low']] },
    ],
    key: (e) => String(e.id),
    blank: (ctx, doc) => ({ id: '', type: ctx.device_types[0]?.id ?? '', site: ctx.sites[0]?.id ?? '', person: doc.people[0]?.id ?? '' }),
  },
  rules: {
    id: 'rules', title: 'Rules', noun: 'rule', schema: ruleSchema,
    columns: [['Id', (e) => String(e.id)], ['Kind', (e) => String(e.kind)], ['Device', (e) => String(e.device ?? 'any of theirs')], ['Priority', (e) => String(e.priority ?? 'default')], ['Alert', (e) => String(e.alert_class ?? 'default')]],
    fields: (ctx, doc, e, personId) => {
      const events = eventsOf(ctx, doc, personId, e.device)
      return [
        { path: 'id', label: 'Rule id', kind: 'text', required: true, fixedOnEdit: true },
        { path: 'kind', label: 'Kind', kind: 'select', options: opts(ctx.rule_kinds) },
        { path: 'device', label: 'Device', kind: 'select', options: opts(doc.devices.filter((d) => d.person === personId).map((d) => String(d.id)), "(any of the person's devices)") },
        priorityField,
        { path: 'alert_class', label: 'Alert class', kind: 'text', hint: 'Short upper-case label shown on pagers, e.g. BED EXIT.' },
        ...ruleKindFields(String(e.kind), events),
        { path: 'active_hours', label: 'Active hours', kind: 'rows', hint: "Site local time; leave none for 'always'.", columns: [{ path: 'from', label: 'From', kind: 'time' }, { path: 'to', label: 'To', kind: 'time' }] },
        { path: 'rate_limit.rearm_s', label: 'Rate limit: minimum seconds between alerts', kind: 'number' },
        { path: 'rate_limit.max_repeats', label: 'Rate limit: at most this many alerts…', kind: 'number' },
        { path: 'rate_limit.window_s', label: '…within (seconds)', kind: 'number' },
      ]
    },
    key: (e) => String(e.id),
    blank: () => ({ id: '', kind: 'immediate', priority: 'high' }),
  },
  escalation: {
    id: 'escalation', title: 'Escalation ladders', noun: 'ladder', schema: ladderSchema,
    columns: [['Site', (e) => String(e.site)], ['Priority', (e) => String(e.priority)], ['Steps', (e) => (e.steps as { to: string; wait_s: number }[]).map((s) => `${s.to} ${s.wait_s} s`).join(' → ')]],
    fields: (ctx) => [
      { path: 'site', label: 'Site', kind: 'select', options: opts(ctx.sites.map((s) => s.id)), fixedOnEdit: true },
      { ...priorityField, fixedOnEdit: true },
      { path: 'steps', label: 'Steps', kind: 'rows', hint: 'The last step repeats until someone accepts.', columns: [{ path: 'to', label: 'Page', kind: 'select', options: opts(ctx.step_targets) }, { path: 'wait_s', label: 'Wait (seconds)', kind: 'number' }] },
    ],
    key: (e) => `${String(e.site)}.${String(e.priority)}`,
    blank: (ctx) => ({ site: ctx.sites[0]?.id ?? '', priority: 'high', steps: [{ to: 'assigned', wait_s: 60 }, { to: 'all', wait_s: 60 }] }),
  },
  rota: {
    id: 'rota', title: 'Rota', noun: 'shift', schema: shiftSchema,
    columns: [['Site', (e) => String(e.site)], ['Who', (e) => String(e.user)], ['From', (e) => String(e.from)], ['To', (e) => String(e.to)], ['Starts on', (e) => ((e.days as string[] | undefined) ?? []).join(', ') || 'every day']],
    fields: (ctx) => [
      { path: 'site', label: 'Site', kind: 'select', options: opts(ctx.sites.map((s) => s.id)) },
      { path: 'user', label: 'Who', kind: 'select', options: ctx.users.filter((u) => u.role === 'carer' || u.role === 'team_leader').map((u) => [u.id, `${userName(ctx, u.id)} (${u.id})`]) },
      { path: 'from', label: 'From (local time)', kind: 'time', required: true },
      { path: 'to', label: 'To (local time)', kind: 'time', required: true, hint: 'May cross midnight; a shift belongs to the day it starts.' },
      { path: 'days', label: 'Starts on', kind: 'checks', hint: 'None ticked means every day.', options: ctx.weekdays.map((d) => [d, d]) },
    ],
    key: (_e, i) => String(i),
    blank: (ctx) => ({ site: ctx.sites[0]?.id ?? '', user: ctx.users.find((u) => u.role === 'carer')?.id ?? '', from: '07:00', to: '19:00' }),
  },
  pagers: {
    id: 'pagers', title: 'Pagers and routes', noun: 'pager', schema: pagerSchema,
    columns: [['Id', (e) => String(e.id)], ['User', (e) => String(e.user)], ['Protocol', (e) => String(e.protocol)], ['Line / address', (e) => (e.line ? `${String(e.line)} / ${String(e.address ?? '?')}` : '—')], ['Fallback route', (e) => String(e.fallback ?? '—')]],
    fields: (ctx, doc) => [
      { path: 'id', label: 'Pager id', kind: 'text', required: true, fixedOnEdit: true },
      { path: 'user', label: 'Carried by', kind: 'select', options: ctx.users.map((u) => [u.id, `${u.display_name} (${u.id})`]) },
      { path: 'protocol', label: 'Protocol', kind: 'select', options: opts(ctx.pager_protocols.map((p) => p.id)) },
      { path: 'line', label: 'Line (ESPA/TAP pagers)', kind: 'select', options: opts(ctx.lines.map((l) => l.id), '(no line: soft pager)') },
      { path: 'address', label: 'Address on the line', kind: 'text' },
      { path: 'fallback', label: 'Fallback route (another pager of the same user)', kind: 'select', options: opts(doc.pagers.map((p) => String(p.id)), '(none)') },
      { path: 'max_length', label: 'Longest text (characters)', kind: 'number' },
    ],
    key: (e) => String(e.id),
    blank: (ctx) => ({ id: '', user: ctx.users[0]?.id ?? '', protocol: 'soft' }),
  },
  users: {
    id: 'users', title: 'Users', noun: 'user', schema: userSchema,
    columns: [['Id', (e) => String(e.id)], ['Name', (e) => String(e.display_name)], ['Role', (e) => String(e.role).replace('_', ' ')]],
    fields: () => [
      { path: 'id', label: 'User id (for signing in)', kind: 'text', required: true, fixedOnEdit: true },
      { path: 'display_name', label: 'Name shown to colleagues', kind: 'text', required: true },
      { path: 'role', label: 'Role', kind: 'select', options: [['carer', 'carer'], ['team_leader', 'team leader'], ['at_admin', 'AT admin'], ['auditor', 'auditor']] },
    ],
    key: (e) => String(e.id),
    blank: () => ({ id: '', display_name: '', role: 'carer' }),
  },
}
