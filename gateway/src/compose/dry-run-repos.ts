import type { Alert, Notification } from '../core/alert.js'
import type { Repositories, TimerRecord } from '../core/contracts.js'
import type { Suppression } from '../core/suppression.js'

/** The states in which an alert still counts as open for its condition (store/alert-repo.ts `OPEN_BY_CONDITION_SQL`). */
const closedStates = new Set(['resolved', 'cancelled', 'closed'])

/** Writes made during one dry run, and what reads see of them. */
interface Overlay {
  seq: number
  readonly journaled: Set<string>
  readonly alerts: Map<string, Alert & { conditionKey?: string }>
  readonly notifications: Map<string, Notification>
  readonly ruleState: Map<string, unknown>
  /** null: cleared in this run. */
  readonly timers: Map<string, TimerRecord | null>
  readonly suppressions: Map<string, Suppression>
}

const newOverlay = (): Overlay => ({ seq: 0, journaled: new Set(), alerts: new Map(), notifications: new Map(), ruleState: new Map(), timers: new Map(), suppressions: new Map() })

/**
 * The pipeline's repositories, able to run a unit of work WITHOUT writing (`dryRun`): what it would page, while
 * another process holds the database's write lock (store/group-commit.ts, `whileLocked`). Outside a dry run every call
 * goes straight to the store. Inside one, writes are kept in memory for that run only and reads see them over the
 * store's rows, so a raise reads back the alert it inserted; nothing is written, no in-memory state of the store moves
 * (the journal's held keys, the audit chain's head), and everything is dropped when the run ends. Seqs handed out are
 * negative, so none can be mistaken for a stored row.
 *
 * Lists (due deadlines, queued pages, alerts by state) come from the store alone: the dry run covers one event's
 * rules and raise, which read single rows. Writes an event never makes (credentials, rule versions) throw.
 */
export function createDryRunRepos(real: Repositories): { readonly repos: Repositories; dryRun<T>(run: () => T): T } {
  let dry: Overlay | null = null
  const key = (a: string, b: string) => `${a}\u0000${b}`
  const refuse = (what: string): never => {
    throw new Error(`${what} is not available in a dry run`)
  }

  const alertOf = (id: string): Alert | null => dry?.alerts.get(id) ?? real.alerts.get(id)
  const notificationOf = (id: string): Notification | null => dry?.notifications.get(id) ?? real.notifications.get(id)

  const repos: Repositories = {
    audit: {
      append: (entry) => (dry ? --dry.seq : real.audit.append(entry)),
      forAlert: (alertId) => real.audit.forAlert(alertId),
      search: (filter) => real.audit.search(filter),
    },
    journal: {
      insert: (event, status) => {
        if (!dry) return real.journal.insert(event, status)
        const k = key(event.deviceId, event.eventId)
        if (dry.journaled.has(k) || real.journal.findSeq(event.deviceId, event.eventId) !== null) return null
        dry.journaled.add(k)
        return --dry.seq
      },
      findSeq: (deviceId, eventId) => real.journal.findSeq(deviceId, eventId),
    },
    alerts: {
      insert: (alert) => (dry ? void dry.alerts.set(alert.id, { ...alert }) : real.alerts.insert(alert)),
      get: alertOf,
      findOpenByCondition: (conditionKey) => {
        if (!dry) return real.alerts.findOpenByCondition(conditionKey)
        for (const a of dry.alerts.values()) if (a.conditionKey === conditionKey && !closedStates.has(a.state)) return a
        const stored = real.alerts.findOpenByCondition(conditionKey)
        if (!stored) return null
        // A stored alert this run changed (closed it, say) is seen as changed.
        const changed = dry.alerts.get(stored.id)
        return changed ? (closedStates.has(changed.state) ? null : changed) : stored
      },
      update: (id, changes) => {
        if (!dry) return real.alerts.update(id, changes)
        const was = alertOf(id)
        if (was) dry.alerts.set(id, { ...was, ...changes })
      },
      list: (filter) => real.alerts.list(filter),
      raisedOrClosedSince: (from, limit) => real.alerts.raisedOrClosedSince(from, limit),
      dueForStep: (now) => real.alerts.dueForStep(now),
      nextStepDue: () => real.alerts.nextStepDue(),
    },
    notifications: {
      insert: (n) => (dry ? void dry.notifications.set(n.id, { ...n }) : real.notifications.insert(n)),
      get: notificationOf,
      forAlert: (alertId) => {
        if (!dry) return real.notifications.forAlert(alertId)
        const stored = real.notifications.forAlert(alertId).map((n) => dry!.notifications.get(n.id) ?? n)
        const added = [...dry.notifications.values()].filter((n) => n.alertId === alertId && !stored.some((s) => s.id === n.id))
        return [...stored, ...added]
      },
      setState: (id, state, at) => {
        if (!dry) return real.notifications.setState(id, state, at)
        const was = notificationOf(id)
        if (was) dry.notifications.set(id, { ...was, state, updatedAt: at })
      },
      queued: () => real.notifications.queued(),
      openForUser: (userId) => real.notifications.openForUser(userId),
    },
    ruleState: {
      get: (personId, ruleId) => {
        const k = key(personId, ruleId)
        return dry?.ruleState.has(k) ? dry.ruleState.get(k) : real.ruleState.get(personId, ruleId)
      },
      put: (personId, ruleId, state) => (dry ? void dry.ruleState.set(key(personId, ruleId), state) : real.ruleState.put(personId, ruleId, state)),
    },
    timers: {
      set: (t) => (dry ? void dry.timers.set(t.key, t) : real.timers.set(t)),
      clear: (k) => {
        if (!dry) return real.timers.clear(k)
        const was = dry.timers.has(k) ? dry.timers.get(k) !== null : real.timers.get(k) !== null
        dry.timers.set(k, null)
        return was
      },
      get: (k) => (dry?.timers.has(k) ? dry.timers.get(k)! : real.timers.get(k)),
      due: (now) => real.timers.due(now),
      next: () => real.timers.next(),
    },
    credentials: {
      get: (principal) => real.credentials.get(principal),
      put: (principal, kind, hash, at) => (dry ? refuse('storing a credential') : real.credentials.put(principal, kind, hash, at)),
      revoke: (principal, at) => (dry ? refuse('revoking a credential') : real.credentials.revoke(principal, at)),
    },
    suppressions: {
      insert: (s) => (dry ? void dry.suppressions.set(s.id, { ...s }) : real.suppressions.insert(s)),
      get: (id) => dry?.suppressions.get(id) ?? real.suppressions.get(id),
      clear: (id, by, at) => {
        if (!dry) return real.suppressions.clear(id, by, at)
        const s = dry.suppressions.get(id) ?? real.suppressions.get(id)
        // As the store's UPDATE: only one still in force.
        if (!s || s.clearedAt !== null || s.expiresAt <= at) return false
        dry.suppressions.set(id, { ...s, clearedAt: at, clearedBy: by })
        return true
      },
      activeFor: (personId, deviceId, at) => {
        if (!dry) return real.suppressions.activeFor(personId, deviceId, at)
        const inForce = (s: Suppression) => ((s.scope === 'person' && s.target === personId) || (s.scope === 'device' && s.target === deviceId))
          && s.setAt <= at && s.expiresAt > at && (s.clearedAt === null || s.clearedAt > at)
        const stored = real.suppressions.activeFor(personId, deviceId, at).map((s) => dry!.suppressions.get(s.id) ?? s)
        const added = [...dry.suppressions.values()].filter((s) => !stored.some((x) => x.id === s.id))
        return [...stored, ...added].filter(inForce).sort((a, b) => a.setAt - b.setAt)
      },
      overlapping: (from, to) => real.suppressions.overlapping(from, to),
    },
    ruleVersions: {
      latest: () => real.ruleVersions.latest(),
      insert: (r) => (dry ? refuse('recording a rule version') : real.ruleVersions.insert(r)),
      history: (personId) => real.ruleVersions.history(personId),
    },
  }

  return {
    repos,
    dryRun<T>(run: () => T): T {
      if (dry) throw new Error('a dry run is already in progress')
      dry = newOverlay()
      try {
        return run()
      } finally {
        dry = null
      }
    },
  }
}
