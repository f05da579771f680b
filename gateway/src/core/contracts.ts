import type { Alert, AlertState, Notification, NotificationState } from './alert.js'
import type { AuditEntry, AuditRecord } from './audit.js'
import type { DeviceEvent } from './event.js'
import type { Effects } from './effects.js'
import type { Suppression } from './suppression.js'

/**
 * Repository roles the stages need. Stages receive these objects (serialport `binding` style) and never
 * import the store, so they can be tested with in-memory implementations.
 */
/** Audit search filters (all optional, combined with AND). `actor` matches `user:<id>` when given a bare user id. */
export interface AuditFilter {
  readonly kind?: string
  readonly deviceId?: string
  readonly personId?: string
  readonly alertId?: string
  readonly actor?: string
  /** Inclusive range of `at`, epoch ms. */
  readonly from?: number
  readonly to?: number
  readonly afterSeq?: number
  readonly limit: number
}

export interface AuditLog {
  append(entry: AuditEntry): number
  forAlert(alertId: string): AuditRecord[]
  /**
   * Records matching every given filter, oldest first: at most `limit`, except that the records a routine-events
   * digest row stands for (audit/routine-events.ts, all under its seq) are never split, so the last may bring more.
   */
  search(filter: AuditFilter): AuditRecord[]
}

export interface EventJournal {
  /** Insert an accepted event; returns its seq, or null when `(deviceId, eventId)` is already journaled. */
  insert(event: Omit<DeviceEvent, 'seq'>, status: 'processed' | 'failed'): number | null
  findSeq(deviceId: string, eventId: string): number | null
}

export interface AlertRepository {
  insert(alert: Alert & { conditionKey: string }): void
  get(id: string): Alert | null
  findOpenByCondition(conditionKey: string): Alert | null
  update(id: string, changes: Partial<Pick<Alert, 'state' | 'updatedAt' | 'acceptedBy' | 'acceptedAt' | 'triggerCount' | 'escalationStep' | 'nextStepAt' | 'resolvedBy' | 'resolvedAt' | 'closedBy' | 'closedAt' | 'outcome' | 'outcomeNote'>>): void
  list(filter: { states?: readonly AlertState[]; limit: number }): Alert[]
  /** Alerts raised, or closed, at or after `from` (for the day's reports), newest raised first, at most `limit`. */
  raisedOrClosedSince(from: number, limit: number): Alert[]
  /** Open alerts whose next ladder step is due at `now`. */
  dueForStep(now: number): Alert[]
  /** The earliest pending ladder step, or null. */
  nextStepDue(): number | null
}

export interface NotificationRepository {
  insert(n: Notification): void
  get(id: string): Notification | null
  forAlert(alertId: string): Notification[]
  setState(id: string, state: NotificationState, at: number): void
  queued(): Notification[]
  /** This user's notifications for alerts that are still open. */
  openForUser(userId: string): Notification[]
}

export interface RuleStateRepository {
  get(personId: string, ruleId: string): unknown
  put(personId: string, ruleId: string, state: unknown): void
}

/** A stored deadline. `key` is unique: setting a key again moves the deadline. */
export interface TimerRecord {
  readonly key: string
  readonly dueAt: number
  readonly personId: string
  readonly ruleId: string
  readonly createdEventSeq: number | null
}

export interface TimerRepository {
  set(t: TimerRecord): void
  clear(key: string): boolean
  get(key: string): TimerRecord | null
  due(now: number): TimerRecord[]
  next(): TimerRecord | null
}

export interface CredentialRepository {
  get(principal: string): { kind: 'device' | 'user'; secretHash: string; revoked: boolean } | null
  put(principal: string, kind: 'device' | 'user', secretHash: string, at: number): void
  /** Mark revoked; false if there was nothing to revoke. */
  revoke(principal: string, at: number): boolean
}

export interface SuppressionRepository {
  insert(s: Suppression): void
  get(id: string): Suppression | null
  /** Mark cleared; false when it was not in force. */
  clear(id: string, by: string, at: number): boolean
  /** In force at `at` for this person, or for this device. */
  activeFor(personId: string, deviceId: string | null, at: number): Suppression[]
  /** Every suppression that overlapped [from, to] (for replay and reports). */
  overlapping(from: number, to: number): Suppression[]
}

/** One recorded version of one person's rule. */
export interface RuleVersionRecord {
  readonly personId: string
  readonly ruleId: string
  readonly version: string
  readonly rule: unknown
  readonly changedBy: string
  readonly changedAt: number
  readonly note: string | null
}

export interface RuleVersionRepository {
  /** The most recent version recorded for each (person, rule). */
  latest(): RuleVersionRecord[]
  insert(r: RuleVersionRecord): void
  history(personId?: string): RuleVersionRecord[]
}

/** Everything persistent, as one object passed to the pipeline. */
export interface Repositories {
  readonly audit: AuditLog
  readonly journal: EventJournal
  readonly alerts: AlertRepository
  readonly notifications: NotificationRepository
  readonly ruleState: RuleStateRepository
  readonly timers: TimerRepository
  readonly credentials: CredentialRepository
  readonly suppressions: SuppressionRepository
  readonly ruleVersions: RuleVersionRepository
}

/** How a piece of work asks to be placed in the group commit (store/group-commit.ts, store/commit-queue.ts). */
export interface LaneOptions {
  /**
   * Work with the same key keeps its order: urgent work never passes earlier work with its key, nor work without one
   * (it may be about anyone). The pipeline uses the person the event is about, since rule state (and so the meaning of
   * an event) is kept per person. Urgent work must have a key.
   */
  readonly key?: string
  /**
   * Commit ahead of the rest, in a transaction of its own, so what it pages goes out before the rest of the group
   * is even processed (an alarm read behind thousands of routine events: issue 9, alert latency under load).
   */
  readonly urgent?: boolean
  /**
   * The same work run WITHOUT writing (compose/dry-run-repos.ts), for what it would page: used when another process
   * has held the database's write lock for a while, so an alarm is paged (unstored, as when the disk refuses writes)
   * instead of waiting for the lock. The work itself still commits, and acknowledges, once the lock is released.
   */
  readonly whileLocked?: (fx: Effects) => void
}

/**
 * The lane of work that only appends an audit row about nobody's rules (a pager line's frame, refused input or
 * access): it never holds an alarm back, as work without a key would. An empty key, which no person has.
 */
export const AUDIT_ONLY: LaneOptions = Object.freeze({ key: '' })
