/**
 * In-memory implementations of every repository role in gateway/src/core/contracts.ts, for unit tests of the
 * stages (house-style §2.3: stages receive repositories, so their tests need no SQLite). They mirror the
 * SQLite repositories' observable behaviour: ordering, "open" alert states, `(deviceId, eventId)` idempotency,
 * and returning copies so a caller cannot change stored rows by mutating what it read.
 * At the end: a small care-home configuration and `lifecycleDepsFor`, wiring lifecycle tests to the real routing code.
 */
import type { Alert, AlertState, Notification } from '../../gateway/src/core/alert.js'
import type { AuditRecord } from '../../gateway/src/core/audit.js'
import type {
  AlertRepository, AuditLog, CredentialRepository, EventJournal, NotificationRepository, Repositories, RuleStateRepository, RuleVersionRecord,
  RuleVersionRepository, SuppressionRepository, TimerRecord, TimerRepository,
} from '../../gateway/src/core/contracts.js'
import type { DeviceEvent } from '../../gateway/src/core/event.js'
import type { Suppression } from '../../gateway/src/core/suppression.js'
import { indexConfig, userMayAct } from '../../gateway/src/config/config-index.js'
import type { GatewayConfig } from '../../gateway/src/config/schema.js'
import type { LifecycleDeps } from '../../gateway/src/lifecycle/deps.js'
import type { StepTarget } from '../../gateway/src/routing/escalation-config.js'
import { ladderFor, stepRecipients } from '../../gateway/src/routing/ladder.js'
import { planNotifications } from '../../gateway/src/routing/recipients.js'

/** States the SQLite repositories treat as open (alerts_open_by_condition / openForUser queries). */
const closedStates: readonly AlertState[] = ['resolved', 'cancelled', 'closed']
const openStates: readonly AlertState[] = ['new', 'active', 'escalated', 'acknowledged']

export interface InMemoryAuditLog extends AuditLog {
  /** Every row appended, in order (test inspection only). */
  readonly rows: readonly AuditRecord[]
}

export function createInMemoryAuditLog(): InMemoryAuditLog {
  const rows: AuditRecord[] = []
  return {
    rows,
    append(entry) {
      const seq = rows.length + 1
      rows.push(structuredClone({ ...entry, seq, alertId: entry.alertId ?? null, deviceId: entry.deviceId ?? null, personId: entry.personId ?? null, eventSeq: entry.eventSeq ?? null }))
      return seq
    },
    forAlert(alertId) {
      const seqs = new Set(rows.filter((r) => r.alertId === alertId && r.eventSeq != null).map((r) => r.eventSeq))
      return rows.filter((r) => r.alertId === alertId || (r.alertId == null && r.eventSeq != null && seqs.has(r.eventSeq))).map((r) => structuredClone(r))
    },
    search({ kind, deviceId, personId, alertId, actor, from, to, afterSeq = 0, limit }) {
      const keep = (r: (typeof rows)[number]) => (kind === undefined || r.kind === kind) && (deviceId === undefined || r.deviceId === deviceId)
        && (personId === undefined || r.personId === personId) && (alertId === undefined || r.alertId === alertId)
        && (actor === undefined || r.actor === actor || r.actor === `user:${actor}`) && (from === undefined || r.at >= from) && (to === undefined || r.at <= to) && r.seq > afterSeq
      return rows.filter(keep).slice(0, limit).map((r) => structuredClone(r))
    },
  }
}

export function createInMemoryJournal(): EventJournal & { readonly rows: readonly (Omit<DeviceEvent, 'seq'> & { seq: number; status: string })[] } {
  const rows: (Omit<DeviceEvent, 'seq'> & { seq: number; status: string })[] = []
  const findSeq = (deviceId: string, eventId: string) => rows.find((r) => r.deviceId === deviceId && r.eventId === eventId)?.seq ?? null
  return {
    rows,
    insert(event, status) {
      if (findSeq(event.deviceId, event.eventId) !== null) return null
      const seq = rows.length + 1
      rows.push({ ...event, seq, status })
      return seq
    },
    findSeq,
  }
}

export function createInMemoryAlerts(): AlertRepository & { conditionKeyOf(id: string): string | undefined } {
  const rows = new Map<string, Alert & { conditionKey: string }>()
  const strip = ({ conditionKey: _k, ...a }: Alert & { conditionKey: string }): Alert => ({ ...a })
  const newestFirst = (a: Alert, b: Alert) => b.raisedAt - a.raisedAt
  const escalating = (r: Alert) => r.nextStepAt !== null && ['new', 'active', 'escalated'].includes(r.state)
  return {
    dueForStep: (now) => [...rows.values()].filter((r) => escalating(r) && r.nextStepAt! <= now).sort((a, b) => a.nextStepAt! - b.nextStepAt! || (a.id < b.id ? -1 : 1)).map(strip),
    nextStepDue: () => {
      const due = [...rows.values()].filter(escalating).map((r) => r.nextStepAt!)
      return due.length ? Math.min(...due) : null
    },
    insert(alert) {
      if (rows.has(alert.id)) throw new Error(`UNIQUE constraint failed: alerts.id (${alert.id})`)
      rows.set(alert.id, { ...alert })
    },
    get: (id) => {
      const r = rows.get(id)
      return r ? strip(r) : null
    },
    findOpenByCondition(key) {
      const open = [...rows.values()].filter((r) => r.conditionKey === key && !closedStates.includes(r.state)).sort(newestFirst)
      return open[0] ? strip(open[0]) : null
    },
    update(id, changes) {
      const r = rows.get(id)
      if (r) rows.set(id, { ...r, ...changes })
    },
    list({ states, limit }) {
      return [...rows.values()].filter((r) => !states || states.length === 0 || states.includes(r.state)).sort(newestFirst).slice(0, limit).map(strip)
    },
    raisedOrClosedSince(from, limit) {
      return [...rows.values()].filter((r) => r.raisedAt >= from || (r.closedAt !== null && r.closedAt >= from)).sort(newestFirst).slice(0, limit).map(strip)
    },
    conditionKeyOf: (id) => rows.get(id)?.conditionKey,
  }
}

export function createInMemoryNotifications(alerts: Pick<AlertRepository, 'get'>): NotificationRepository {
  const rows = new Map<string, Notification>()
  const ordered = (list: Notification[]) => list.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((n) => ({ ...n }))
  return {
    insert(n) {
      if (rows.has(n.id)) throw new Error(`UNIQUE constraint failed: notifications.id (${n.id})`)
      rows.set(n.id, { ...n })
    },
    get: (id) => {
      const n = rows.get(id)
      return n ? { ...n } : null
    },
    forAlert: (alertId) => ordered([...rows.values()].filter((n) => n.alertId === alertId)),
    setState(id, state, at) {
      const n = rows.get(id)
      if (n) rows.set(id, { ...n, state, updatedAt: at })
    },
    queued: () => ordered([...rows.values()].filter((n) => n.state === 'queued')),
    openForUser: (userId) => ordered([...rows.values()].filter((n) => n.userId === userId && openStates.includes(alerts.get(n.alertId)?.state ?? 'closed'))),
  }
}

export function createInMemoryRuleState(): RuleStateRepository {
  const rows = new Map<string, string>()
  return {
    // Stored as JSON, like the SQLite table, so a rule can never rely on object identity across events.
    get: (personId, ruleId) => {
      const s = rows.get(`${personId}\0${ruleId}`)
      return s === undefined ? undefined : (JSON.parse(s) as unknown)
    },
    put: (personId, ruleId, state) => void rows.set(`${personId}\0${ruleId}`, JSON.stringify(state)),
  }
}

export function createInMemoryTimers(): TimerRepository {
  const rows = new Map<string, TimerRecord>()
  const ordered = () => [...rows.values()].sort((a, b) => a.dueAt - b.dueAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return {
    set(t) {
      const prev = rows.get(t.key)
      // Like the SQLite upsert: moving a deadline keeps the original person and rule.
      rows.set(t.key, prev ? { ...prev, dueAt: t.dueAt, createdEventSeq: t.createdEventSeq } : { ...t })
    },
    clear: (key) => rows.delete(key),
    get: (key) => {
      const t = rows.get(key)
      return t ? { ...t } : null
    },
    due: (now) => ordered().filter((t) => t.dueAt <= now),
    next: () => ordered()[0] ?? null,
  }
}

export function createInMemoryCredentials(): CredentialRepository {
  const rows = new Map<string, { kind: 'device' | 'user'; secretHash: string; revoked: boolean }>()
  return {
    get: (principal) => {
      const r = rows.get(principal)
      return r ? { ...r } : null
    },
    put: (principal, kind, secretHash) => void rows.set(principal, { kind, secretHash, revoked: false }),
    revoke(principal) {
      const r = rows.get(principal)
      if (!r || r.revoked) return false
      rows.set(principal, { ...r, revoked: true })
      return true
    },
  }
}

export function createInMemorySuppressions(): SuppressionRepository {
  const rows = new Map<string, Suppression>()
  const inForce = (s: Suppression, at: number) => s.setAt <= at && s.expiresAt > at && (s.clearedAt === null || s.clearedAt > at)
  return {
    insert: (s) => void rows.set(s.id, { ...s }),
    get: (id) => rows.get(id) ?? null,
    clear(id, by, at) {
      const s = rows.get(id)
      if (!s || s.clearedAt !== null || s.expiresAt <= at) return false
      rows.set(id, { ...s, clearedAt: at, clearedBy: by })
      return true
    },
    activeFor: (person, device, at) => [...rows.values()].filter((s) => inForce(s, at) && ((s.scope === 'person' && s.target === person) || (s.scope === 'device' && s.target === device))),
    overlapping: (from, to) => [...rows.values()].filter((s) => s.setAt <= to && s.expiresAt > from && (s.clearedAt === null || s.clearedAt > from)),
  }
}

export function createInMemoryRuleVersions(): RuleVersionRepository {
  const rows: RuleVersionRecord[] = []
  return {
    insert: (r) => void rows.push({ ...r }),
    history: (personId) => rows.filter((r) => personId === undefined || r.personId === personId),
    latest() {
      const last = new Map<string, RuleVersionRecord>()
      for (const r of rows) last.set(`${r.personId}/${r.ruleId}`, r)
      return [...last.values()]
    },
  }
}

/** A full set of in-memory repositories, shaped like `createRepositories(db)` from gateway/src/store. */
export function createInMemoryRepositories(): Repositories & { readonly audit: InMemoryAuditLog } {
  const alerts = createInMemoryAlerts()
  return {
    audit: createInMemoryAuditLog(),
    journal: createInMemoryJournal(),
    alerts,
    notifications: createInMemoryNotifications(alerts),
    ruleState: createInMemoryRuleState(),
    timers: createInMemoryTimers(),
    credentials: createInMemoryCredentials(),
    suppressions: createInMemorySuppressions(),
    ruleVersions: createInMemoryRuleVersions(),
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle wiring for stage tests: LifecycleDeps built the way pipeline.ts builds them, around any repositories,
// so lifecycle tests exercise the real ladder, rota, recipient, pager-text and fallback code.

/**
 * A small home. oak-house (Europe/London): p-001 (room R12, carers c-amy and c-bob) and p-002 (room R14, carer c-cat).
 * Rota: c-amy days 07:00–19:00, c-bob nights 19:00–07:00, c-cat both (the third carer, always on shift).
 * tl-kim is the team leader (no rota: on call everywhere). elm-court has p-003 and its own carer c-dan.
 * Everyone has one soft pager `soft-<name>`; c-bob's falls back to his phone `phone-bob` when a page to it fails.
 * Ladders: oak-house high = assigned 60 s → on_shift 60 s → team_leader 120 s → all 120 s; oak-house medium =
 * assigned 120 s → team_leader 300 s; elm-court high = all 30 s; every low alert uses the default ladder.
 */
export function careHomeConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const person = (id: string, site: string, room: string, carers: string[]) => ({ id, site, room_code: room, pager_template: '{room_code} {alert_class}', carers, rules: [], presence_timeout_s: 1800 })
  const users = [['c-amy', 'carer'], ['c-bob', 'carer'], ['c-cat', 'carer'], ['tl-kim', 'team_leader'], ['c-dan', 'carer']] as const
  const soft = (user: string) => `soft-${user.slice(user.indexOf('-') + 1)}`
  return {
    sites: [{ id: 'oak-house', timezone: 'Europe/London' }, { id: 'elm-court', timezone: 'Europe/London' }],
    lines: [],
    inputs: [],
    zigbee2mqtt: [],
    broker: { plaintext: true, device_publish_rate: 20 },
    people: [person('p-001', 'oak-house', 'R12', ['c-amy', 'c-bob']), person('p-002', 'oak-house', 'R14', ['c-cat']), person('p-003', 'elm-court', 'E1', ['c-dan'])],
    devices: [],
    users: users.map(([id, role]) => ({ id, role, display_name: id.slice(2) })),
    pagers: [
      ...users.map(([id]) => ({ id: soft(id), user: id, protocol: 'soft', max_length: 80, ...(id === 'c-bob' ? { fallback: 'phone-bob' } : {}) })),
      { id: 'phone-bob', user: 'c-bob', protocol: 'soft', max_length: 80 },
    ],
    ingest: { max_payload_bytes: 4096 },
    escalation: [
      { site: 'oak-house', priority: 'high', steps: [{ to: 'assigned', wait_s: 60 }, { to: 'on_shift', wait_s: 60 }, { to: 'team_leader', wait_s: 120 }, { to: 'all', wait_s: 120 }] },
      { site: 'oak-house', priority: 'medium', steps: [{ to: 'assigned', wait_s: 120 }, { to: 'team_leader', wait_s: 300 }] },
      { site: 'elm-court', priority: 'high', steps: [{ to: 'all', wait_s: 30 }] },
    ],
    rota: [
      { site: 'oak-house', user: 'c-amy', from: '07:00', to: '19:00' },
      { site: 'oak-house', user: 'c-bob', from: '19:00', to: '07:00' },
      { site: 'oak-house', user: 'c-cat', from: '07:00', to: '19:00' },
      { site: 'oak-house', user: 'c-cat', from: '19:00', to: '07:00' },
      { site: 'elm-court', user: 'c-dan', from: '00:00', to: '23:59' },
    ],
    ...overrides,
  }
}

/** Ids `al-1`, `nt-2`, … from one counter; `tag` keeps ids from different "processes" apart (`nt-s2-1`). */
export function sequentialIds(tag = ''): LifecycleDeps['newId'] {
  let n = 0
  return (prefix) => `${prefix}-${tag}${++n}`
}

/** LifecycleDeps as pipeline.ts wires them: ladder, recipients, pager text, fallbacks and permissions from `config`. */
export function lifecycleDepsFor(
  repos: Pick<Repositories, 'alerts' | 'notifications' | 'audit'>,
  config: GatewayConfig = careHomeConfig(),
  newId = sequentialIds(),
  lineUp: (pagerId: string) => boolean = () => true,
): LifecycleDeps {
  const index = indexConfig(config)
  const person = (id: string | null) => (id === null ? null : index.people.get(id)!)
  return {
    alerts: repos.alerts, notifications: repos.notifications, audit: repos.audit, newId,
    ladder: (siteId, priority) => ladderFor(config, siteId, priority),
    recipients: (target, personId, siteId, now) => stepRecipients(config, target as StepTarget, personId, siteId, now),
    plan: (personId, subject, alertClass, userIds) => planNotifications(person(personId), subject, alertClass, userIds, config, lineUp),
    fallback: (pagerId, personId, subject, alertClass) => {
      const fb = index.pagers.get(pagerId)?.fallback
      const pager = fb ? index.pagers.get(fb) : undefined
      return pager ? (planNotifications(person(personId), subject, alertClass, [pager.user], { pagers: [pager] }, () => true)[0] ?? null) : null
    },
    mayAct: (userId, personId) => userMayAct(index, userId, personId),
  }
}
