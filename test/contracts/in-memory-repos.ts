/**
 * In-memory implementations of every repository role in gateway/src/core/contracts.ts, for unit tests of the
 * stages (house-style §2.3: stages receive repositories, so their tests need no SQLite). They mirror the
 * SQLite repositories' observable behaviour: ordering, "open" alert states, `(deviceId, eventId)` idempotency,
 * and returning copies so a caller cannot change stored rows by mutating what it read.
 */
import type { Alert, AlertState, Notification } from '../../gateway/src/core/alert.js'
import type { AuditRecord } from '../../gateway/src/core/audit.js'
import type {
  AlertRepository, AuditLog, CredentialRepository, EventJournal, NotificationRepository, Repositories, RuleStateRepository, RuleVersionRecord,
  RuleVersionRepository, SuppressionRepository, TimerRecord, TimerRepository,
} from '../../gateway/src/core/contracts.js'
import type { DeviceEvent } from '../../gateway/src/core/event.js'
import type { Suppression } from '../../gateway/src/core/suppression.js'

/** States the SQLite repositories treat as open (alerts_condition / openForUser queries). */
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
    search({ kind, deviceId, afterSeq = 0, limit }) {
      return rows.filter((r) => (kind === undefined || r.kind === kind) && (deviceId === undefined || r.deviceId === deviceId) && r.seq > afterSeq).slice(0, limit).map((r) => structuredClone(r))
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

export function createInMemoryCredentials(): CredentialRepository & { revoke(principal: string): void } {
  const rows = new Map<string, { kind: 'device' | 'user'; secretHash: string; revoked: boolean }>()
  return {
    get: (principal) => {
      const r = rows.get(principal)
      return r ? { ...r } : null
    },
    put: (principal, kind, secretHash) => void rows.set(principal, { kind, secretHash, revoked: false }),
    revoke(principal) {
      const r = rows.get(principal)
      if (r) rows.set(principal, { ...r, revoked: true })
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
