import type { AuditEntry, AuditRecord, RoutineDecision, RoutineEvent } from '../core/audit.js'
import type { AuditFilter, AuditLog } from '../core/contracts.js'

/**
 * Routine events in the audit trail (issue 9): a heartbeat, or motion a rule turned down as outside its hours,
 * changes nothing and leads to no alert. Each is still in the chained trail, with the same facts an
 * `event.received` row and its `rule.decision` rows would carry, but as one entry of a single `events.routine` row
 * written per group commit, instead of one to three chained, indexed rows per event (half of the gateway's CPU per
 * event; BENCHMARKS.md). The digest row is chained and keyed like every other row, so a changed, removed or
 * reordered entry fails verification as the row it is in.
 *
 * Readers see no difference: `search` and the subject access export expand each digest back into the
 * `event.received` and `rule.decision` records it stands for (`expandRoutine`), under the digest row's seq.
 *
 * An event is routine only if everything it wrote to the trail was its own receipt and decisions that are
 * `ignore` or `outside_hours`, and no rule set or cleared a deadline for it (an inactivity rule's motion moves its
 * deadline, and that motion is the "last activity" an inactivity alert's timeline shows). Anything else (a raise, a pending deadline, a suppression,
 * a technical alert, any other row) writes every one of its rows individually, in the order they happened, so an
 * alert's timeline (`forAlert`) never depends on a digest.
 */

/** The outcomes a routine event's decisions may have: nothing was raised, armed, cleared or turned down. */
const routineOutcomes: ReadonlySet<string> = new Set(['ignore', 'outside_hours'])

export type { RoutineDecision, RoutineEvent }

/**
 * How far after a digest row's `at` (its oldest event's receipt) its newest event may be. `writeRoutineDigest` starts a
 * new row rather than exceed it, so a time-bounded search can pre-select digest rows by `at` alone.
 */
export const DIGEST_SPAN_MS = 60_000

/** The digest row for routine events in journal order; `at` is the oldest receipt, the rest within DIGEST_SPAN_MS of it. */
function routineDigest(events: readonly RoutineEvent[], at: number): AuditEntry {
  return { at, kind: 'events.routine', actor: 'gateway', eventSeq: events[0]?.seq ?? null, detail: { count: events.length, events } }
}

/** The `event.received` row a routine event stands for. */
function receivedEntry(e: RoutineEvent, at: number): AuditEntry {
  return { at, kind: 'event.received', actor: `device:${e.device}`, alertId: null, deviceId: e.device, personId: null, eventSeq: e.seq, detail: { event_id: e.event_id, type: e.type, device_at: e.device_at, received_at: e.received_at, ...(e.reported ? { reported: e.reported } : {}) } }
}

/** The `rule.decision` row one of its decisions stands for. */
function decisionEntry(e: RoutineEvent, d: RoutineDecision, at: number): AuditEntry {
  return { at, kind: 'rule.decision', actor: `rule:${d.rule}`, alertId: null, deviceId: e.device, personId: d.person, eventSeq: e.seq, detail: { rule_id: d.rule, rule_version: d.version, outcome: d.outcome, reason: d.reason } }
}

/** The rows routine events stand for: per event its `event.received`, then its decisions, as they would have been written. */
function* routineEntries(events: readonly RoutineEvent[]): Generator<AuditEntry> {
  for (const e of events) {
    const at = Date.parse(e.received_at)
    yield receivedEntry(e, at)
    for (const d of e.decisions ?? []) yield decisionEntry(e, d, at)
  }
}

/** The records a digest row stands for, under the digest row's seq. */
export function expandRoutine(row: AuditRecord): AuditRecord[] {
  return Array.from(routineEntries((row.detail.events ?? []) as RoutineEvent[]), (entry) => ({ seq: row.seq, ...entry }))
}

/** Does an expanded record match the filter's fields (seq and paging are the caller's)? */
export function matchesFilter(r: AuditRecord, f: AuditFilter): boolean {
  return (f.kind === undefined || r.kind === f.kind) && (f.deviceId === undefined || r.deviceId === f.deviceId)
    && (f.personId === undefined || r.personId === f.personId) && f.alertId === undefined
    && (f.actor === undefined || r.actor === f.actor || r.actor === `user:${f.actor}`)
    && (f.from === undefined || r.at >= f.from) && (f.to === undefined || r.at <= f.to)
}

/**
 * Text every digest row holding a match must contain (a cheap pre-filter in SQL, exact filtering follows), or
 * null when no digest can match (an alert's rows, a user's actions, a kind a digest never stands for).
 */
export function digestNeedle(f: AuditFilter): { readonly needle: string | null } | null {
  if (f.alertId !== undefined) return null
  if (f.kind !== undefined && f.kind !== 'event.received' && f.kind !== 'rule.decision') return null
  const key = (k: string, v: string) => `${JSON.stringify(k)}:${JSON.stringify(v)}`
  if (f.actor !== undefined) {
    if (f.actor.startsWith('device:')) return { needle: key('device', f.actor.slice(7)) }
    if (f.actor.startsWith('rule:')) return { needle: key('rule', f.actor.slice(5)) }
    return null
  }
  if (f.deviceId !== undefined) return { needle: key('device', f.deviceId) }
  if (f.personId !== undefined) return { needle: key('person', f.personId) }
  return { needle: null }
}

/**
 * The pipeline's view of the audit log while it processes one event: the event's own receipt and routine decisions
 * are held back; anything else written (through `log`) first writes what is held, in order, so the trail reads
 * exactly as if nothing had been held. `take()` ends the event: its routine entry, or null if it was not routine.
 */
export function routineHolder(audit: AuditLog) {
  let held: { readonly event: RoutineEvent; readonly at: number; readonly decisions: RoutineDecision[] } | null = null
  const flush = () => {
    if (!held) return
    const h = held
    held = null
    audit.append(receivedEntry(h.event, h.at))
    for (const d of h.decisions) audit.append(decisionEntry(h.event, d, h.at))
  }
  const log: AuditLog = {
    append(e) {
      flush()
      return audit.append(e)
    },
    forAlert: (id) => audit.forAlert(id),
    search: (f) => audit.search(f),
  }
  return {
    log,
    /** Start an event (received at `at`, epoch ms): its `event.received` row is held until it turns out not to be routine. */
    received(event: RoutineEvent, at: number): void {
      held = { event, at, decisions: [] }
    },
    /** A rule's decision about the held event: held too if routine and it set no deadline, else written (after what is held). */
    decision(d: RoutineDecision, setsDeadline: boolean, entry: AuditEntry): void {
      if (held && !setsDeadline && routineOutcomes.has(d.outcome)) held.decisions.push(d)
      else log.append(entry)
    },
    /** The held event is not routine after all (it set or cleared a rule's deadline): write what is held now. */
    keep(): void {
      flush()
    },
    /** End the event: what is still held is routine, and the caller adds it to the commit's digest. */
    take(): RoutineEvent | null {
      const h = held
      held = null
      if (!h) return null
      return h.decisions.length ? { ...h.event, decisions: h.decisions } : h.event
    },
    /** Forget what is held (the event's savepoint was rolled back). */
    reset(): void {
      held = null
    },
  }
}

/**
 * The group committer's fallback when writing a digest failed with a bug (store/group-commit.ts): the same events as
 * the rows they would have written one by one, so the group still commits and every event is in the trail.
 */
export function writeRoutineRows(audit: AuditLog): (fx: { readonly routine: readonly RoutineEvent[] }) => void {
  return (fx) => {
    for (const entry of routineEntries(fx.routine)) audit.append(entry)
  }
}

/**
 * The group committer's last write (store/group-commit.ts `beforeCommit`): the commit's digest row, if it has routine
 * events; more than one only if their receipt times span more than DIGEST_SPAN_MS (a stalled group).
 */
export function writeRoutineDigest(audit: AuditLog): (fx: { readonly routine: readonly RoutineEvent[] }) => void {
  return (fx) => {
    let start = 0
    let first = NaN
    for (let i = 0; i <= fx.routine.length; i++) {
      const at = i < fx.routine.length ? Date.parse(fx.routine[i]!.received_at) : NaN
      if (!(at >= first && at <= first + DIGEST_SPAN_MS)) {
        // Every event of a chunk was received at or after its first, so the first's time is the chunk's oldest.
        if (i > start) audit.append(routineDigest(fx.routine.slice(start, i), first))
        start = i
        first = at
      }
    }
  }
}
