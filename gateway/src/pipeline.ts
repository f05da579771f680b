import type { Logger } from 'pino'
import type { ConfigIndex } from './config/config-index.js'
import { AUDIT_ONLY, type LaneOptions, type Repositories } from './core/contracts.js'
import type { Effects } from './core/effects.js'
import type { DeviceEvent, RawMessage } from './core/event.js'
import { type GatewayError, gatewayError } from './core/errors.js'
import { checkMessage } from './ingest/check-message.js'
import { createClientOrder } from './ingest/client-order.js'
import { commitLane } from './ingest/commit-lane.js'
import { advanceDue, type LifecycleDeps, raiseAlert, sourceCleared } from './lifecycle/alert-service.js'
import type { StepTarget } from './routing/escalation-config.js'
import { ladderFor, stepRecipients } from './routing/ladder.js'
import { type Decoder, normalise } from './normalise/normalise.js'
import { planNotifications } from './routing/recipients.js'
import { armRule, bindRules, type EvalContext, evaluateEvent, evaluateTimer, type RuleBinding, ruleTriggeredBy, type StoredRuleState } from './rules/engine.js'
import type { RuleStep } from './rules/types.js'
import { presenceChange } from './suppression/presence.js'
import type { DeviceSupervisor, SupervisionChange } from './supervision/supervisor.js'
import { createTechnicalAlerts, type TechnicalView } from './technical-alerts.js'
import { clearSuppression, setSuppression } from './suppression/suppressions.js'
import { userMayAct } from './config/config-index.js'
import { routineHolder } from './audit/routine-events.js'
import { recordRuleVersions } from './rules/rule-versions.js'
import { createSiteAlarms } from './site-alarms.js'

/** What happened to one incoming message; the transport acknowledges only after this resolves. */
export type IngestOutcome =
  | { readonly status: 'accepted'; readonly seq: number }
  | { readonly status: 'duplicate'; readonly seq: number | null }
  | { readonly status: 'rejected'; readonly error: GatewayError }
  /** Not a device event: a bridge's housekeeping topic, or a device's liveness (status/last will). */
  | { readonly status: 'ignored' }

/** Runs a unit of work inside the next group commit (store/group-commit.ts). */
export type Transact = <T>(run: (fx: Effects) => T, recover?: (err: unknown, fx: Effects) => T, lane?: LaneOptions) => Promise<T>

export interface PipelineDeps {
  readonly index: ConfigIndex
  readonly decoders: ReadonlyMap<string, Decoder>
  readonly repos: Repositories
  readonly transact: Transact
  readonly newId: (prefix: 'al' | 'nt' | 'sp') => string
  readonly log: Logger
  /** Counts of rejected input by error code, exposed as metrics. */
  readonly rejections: Map<string, number>
  /** Is this pager's line up? (Soft pagers always are.) */
  readonly lineUp: (pagerId: string) => boolean
  /** Per-device supervision windows and last-seen times. */
  readonly supervisor: DeviceSupervisor
  /** Technical events and fault codes per device type (from the adapter declarations). */
  readonly types: ReadonlyMap<string, TechnicalView>
  /** Runs work against `repos` without writing (compose/dry-run-repos.ts): alarms are then paged while the database is locked. */
  readonly dryRun?: <T>(run: () => T) => T
}

/**
 * THE pipeline: ingest → normalise → rules → lifecycle → routing → audit, in that order, in one place.
 * Each stage is a function from core types to core types; this file only chains them and decides
 * what is committed together. An event, everything it causes, and its audit rows commit atomically.
 */
export function createPipeline(deps: PipelineDeps) {
  const { index, repos, log } = deps
  // Rebuilt by refreshConfig() when the configuration changes while running (issue 7).
  let bindings = bindRules(index.config)
  // Every audit row written while an event is processed goes through this view, so a routine event's own rows can
  // be held back for the commit's digest row and anything else still lands after them (audit/routine-events.ts).
  const routine = routineHolder(repos.audit)
  const audit = routine.log
  const lifecycle: LifecycleDeps = {
    alerts: repos.alerts,
    notifications: repos.notifications,
    audit,
    newId: (p) => deps.newId(p),
    plan: (personId, subject, alertClass, userIds) => planNotifications(personId ? index.people.get(personId)! : null, subject, alertClass, userIds, index.config, deps.lineUp),
    ladder: (siteId, priority) => ladderFor(index.config, siteId, priority),
    recipients: (target, personId, siteId, now) => stepRecipients(index.config, target as StepTarget, personId, siteId, now),
    fallback: (pagerId, personId, subject, alertClass) => {
      const fb = index.pagers.get(pagerId)?.fallback
      const pager = fb ? index.pagers.get(fb) : undefined
      if (!pager) return null
      return planNotifications(personId ? index.people.get(personId)! : null, subject, alertClass, [pager.user], { pagers: [pager] }, () => true)[0] ?? null
    },
    mayAct: (userId, personId) => userMayAct(index, userId, personId),
  }
  const suppressionDeps = { suppressions: repos.suppressions, audit, newId: () => deps.newId('sp').slice(3) }
  const checkContext = () => ({
    devices: index.devices, maxPayloadBytes: index.config.ingest.max_payload_bytes, bridges: index.config.zigbee2mqtt,
    z2mDevices: new Map(index.config.devices.filter((d) => d.z2m).map((d) => [`${d.z2m!.bridge}/${d.z2m!.friendly_name}`, d])),
    disabledDevices: index.disabledDevices,
  })
  let checkCtx = checkContext()
  /** Each device's decoder state (zigbee2mqtt edge detection), updated as each message is read (see ingest). */
  const decoderStates = new Map<string, unknown>()
  const clientOrder = createClientOrder(decoderStates)
  const alertOpen = (conditionKey: string) => repos.alerts.findOpenByCondition(conditionKey) !== null
  const supervisor = deps.supervisor
  const technical = createTechnicalAlerts({ index, repos: { ...repos, audit }, lifecycle, types: deps.types, supervisor })
  /**
   * Any accepted message shows the device is alive. Last-seen is memory only, so the hot path writes nothing;
   * only a silent device speaking again costs a (grouped) transaction for its audit row.
   */
  function supervisionSeen(deviceId: string, at: number, battery?: number): Promise<void> {
    const change = supervisor.seen(deviceId, at, battery)
    if (change?.kind !== 'restored') return Promise.resolve()
    // Not the message's failure: its events are stored, and failing it would have them resent and read as new. The
    // device counts as silent again, so its next message records the return.
    return deps.transact((fx) => technical.restored(deviceId, at, change.silentFor, fx)).catch((err: unknown) => {
      supervisor.markSilent(deviceId)
      log.error({ err, device: deviceId }, 'recording a device back from silence failed; retried at its next message')
    })
  }
  const applySupervision = (c: SupervisionChange, now: number, fx: Effects) => technical.apply(c, now, fx)
  /** What `work` would page, worked out without writing while another process holds the write lock (LaneOptions). */
  const pagedWhileLocked = (work: (fx: Effects) => unknown): LaneOptions => (deps.dryRun ? { whileLocked: (fx) => {
    try {
      deps.dryRun!(() => work(fx))
    } catch (err) {
      log.error({ err }, 'working out what waiting work would page failed; it is paged when the database lock is released')
    }
  } } : {})
  const siteAlarms = createSiteAlarms({ audit: repos.audit, lifecycle, transact: deps.transact, pagedWhileLocked, ...(deps.dryRun ? { dryRun: deps.dryRun } : {}) })

  /** A device's status topic: `offline` (its last will, sent by the broker when it vanished) or `online`. */
  async function liveness(deviceId: string, raw: RawMessage): Promise<IngestOutcome> {
    const text = raw.payload.toString('utf8').trim()
    if (text !== 'online' && text !== 'offline') return reject(raw, gatewayError('GW_ERR_INPUT_BAD_SHAPE', [`status payload must be "online" or "offline", got ${JSON.stringify(text.slice(0, 32))}`]), deviceId)
    if (text === 'online') {
      await supervisionSeen(deviceId, raw.receivedAt)
      return { status: 'ignored' }
    }
    await deps.transact((fx) => {
      // Reported once: a will for a device already flagged silent adds nothing.
      if (supervisor.markSilent(deviceId)) technical.apply({ kind: 'silent', deviceId, lastSeen: raw.receivedAt, windowMs: 0 }, raw.receivedAt, fx)
    })
    return { status: 'ignored' }
  }
  // Suppressions are queried only if a rule's gate asks (a raise inside active hours), not for every rule of
  // every event: on the hot path most events raise nothing.
  const evalContext = (personId: string, deviceId: string | null, at: number): EvalContext => ({ get suppressions() { return repos.suppressions.activeFor(personId, deviceId, at) } })

  function reject(raw: RawMessage, error: GatewayError, deviceId: string | null): Promise<IngestOutcome> {
    deps.rejections.set(error.code, (deps.rejections.get(error.code) ?? 0) + 1)
    log.warn({ code: error.code, topic: raw.topic, principal: raw.principal, bytes: raw.payload.length, reason: error.message }, 'device input rejected')
    return deps.transact(() => {
      repos.audit.append({
        at: raw.receivedAt, kind: 'input.rejected', actor: raw.principal ? `device:${raw.principal}` : 'anonymous', deviceId,
        detail: { code: error.code, reason: error.message, topic: raw.topic, bytes: raw.payload.length, client_id: raw.clientId, payload_head_hex: raw.payload.subarray(0, 64).toString('hex') },
      })
      return { status: 'rejected', error } as const
    }, undefined, AUDIT_ONLY)
  }

  /** Fold a rule step into state, its deadline, audit and (for `raise`) the alert lifecycle. */
  function applyStep(b: RuleBinding, step: RuleStep<StoredRuleState>, deviceId: string | null, eventSeq: number | null, now: number, fx: Effects): void {
    repos.ruleState.put(b.personId, b.rule.id, step.state)
    // A deadline set or cleared by an event ties the event to what follows (the timer's alert names it as its trigger).
    if (step.timer !== undefined) routine.keep()
    if (step.timer === 'clear') fx.timersChanged ||= repos.timers.clear(b.conditionKey)
    else if (step.timer) {
      repos.timers.set({ key: b.conditionKey, dueAt: step.timer.dueAt, personId: b.personId, ruleId: b.rule.id, createdEventSeq: eventSeq })
      fx.timersChanged = true
    }
    for (const d of step.decisions) {
      const alert = d.outcome === 'raise'
        ? raiseAlert(lifecycle, fx, { siteId: b.siteId, personId: b.personId, deviceId, ruleId: b.rule.id, ruleVersion: b.version, conditionKey: b.conditionKey, ...d.alert, triggerEventSeq: eventSeq, reason: d.reason, realert: d.realert === true }, now)
        : d.outcome === 'cleared' ? sourceCleared(lifecycle, fx, b.conditionKey, d.reason, now) : null
      // Written after the alert exists so the decision row carries its id.
      const entry = { at: now, kind: 'rule.decision', actor: `rule:${b.rule.id}`, alertId: alert?.id ?? null, personId: b.personId, deviceId, eventSeq, detail: { rule_id: b.rule.id, rule_version: b.version, outcome: d.outcome, reason: d.reason } } as const
      routine.decision({ rule: b.rule.id, version: b.version, person: b.personId, outcome: d.outcome, reason: d.reason }, step.timer !== undefined, entry)
    }
  }

  /** Where an event goes in the group commit (ingest/commit-lane.ts); an alarm that pages can be paged while locked. */
  function laneOf(event: Omit<DeviceEvent, 'seq'>, personId: string): LaneOptions {
    const lane = commitLane(bindings.urgent, alertOpen, event.deviceId, personId, event.type)
    return lane.urgent ? { ...lane, ...pagedWhileLocked((fx) => processEvent(event, fx, true)) } : lane
  }

  /**
   * `dry`: worked out while the database is locked (`pagedWhileLocked`). Technical events are left out: they move
   * supervision's memory (an `offline` marks the device silent, and the real run would then not raise NOT REPORTING),
   * and no valid configuration makes one an alarm that pages first (a rule cannot listen for `offline`).
   */
  function processEvent(event: Omit<DeviceEvent, 'seq'>, fx: Effects, dry = false): IngestOutcome {
    const seq = repos.journal.insert(event, 'processed')
    if (seq === null) {
      const original = repos.journal.findSeq(event.deviceId, event.eventId)
      repos.audit.append({ at: event.receivedAt, kind: 'event.duplicate', actor: `device:${event.deviceId}`, deviceId: event.deviceId, eventSeq: original, detail: { event_id: event.eventId, type: event.type } })
      return { status: 'duplicate', seq: original }
    }
    routine.received({ seq, event_id: event.eventId, device: event.deviceId, type: event.type, device_at: new Date(event.deviceAt).toISOString(), received_at: new Date(event.receivedAt).toISOString(), ...(event.detail ? { reported: event.detail } : {}) }, event.receivedAt)
    try {
      if (!dry) technical.onEvent({ ...event, seq }, fx)
      const device = index.devices.get(event.deviceId)!
      const person = index.people.get(device.person)!
      const presence = presenceChange(event.type, person, event.deviceId, event.receivedAt, repos.suppressions)
      if (presence?.set) setSuppression(suppressionDeps, presence.set, event.receivedAt)
      for (const id of presence?.clear ?? []) clearSuppression(suppressionDeps, id, `device:${event.deviceId}`, event.receivedAt, person.id)
      for (const b of bindings.byDevice.get(event.deviceId) ?? []) {
        if (!ruleTriggeredBy(b, event.type)) continue
        const step = evaluateEvent(b, repos.ruleState.get(b.personId, b.rule.id), { type: event.type, at: event.receivedAt }, evalContext(b.personId, event.deviceId, event.receivedAt))
        applyStep(b, step, event.deviceId, seq, event.receivedAt, fx)
      }
      const routineEntry = routine.take()
      if (routineEntry) fx.routine.push(routineEntry)
    } finally {
      // After a throw its held rows were never written (the savepoint rolls back the rest; recordFailure audits why).
      routine.reset()
    }
    return { status: 'accepted', seq }
  }

  /** A processing bug must not lose the event: journal it as failed, audit why, and acknowledge. */
  function recordFailure(event: Omit<DeviceEvent, 'seq'>, err: unknown): IngestOutcome {
    log.error({ err, device: event.deviceId, event_id: event.eventId }, 'event processing failed; journaled as failed')
    const seq = repos.journal.insert(event, 'failed')
    repos.audit.append({ at: event.receivedAt, kind: 'processing.failed', actor: 'gateway', deviceId: event.deviceId, eventSeq: seq, detail: { event_id: event.eventId, type: event.type, error: err instanceof Error ? err.message : String(err) } })
    return seq === null ? { status: 'duplicate', seq: null } : { status: 'accepted', seq }
  }

  return {
    lifecycle,
    suppressionDeps,
    /** The earliest stored deadline of either kind, or null. */
    nextDueAt(): number | null {
      const a = repos.timers.next()?.dueAt ?? null
      const b = repos.alerts.nextStepDue()
      return a === null ? b : b === null ? a : Math.min(a, b)
    },
    get bindings() {
      return bindings
    },

    /** Hot apply (issue 7): rules and device lookups are read again from the index, which was refreshed in place. */
    refreshConfig(): void {
      bindings = bindRules(index.config)
      checkCtx = checkContext()
    },

    /**
     * Validate, journal and process one device message. Resolves once durably committed, in the order its client sent
     * it (ingest/client-order.ts); rejects if it (or an earlier message of its client) could not be stored.
     */
    ingest(raw: RawMessage): Promise<IngestOutcome> {
      // Keyed by identity and connection: a device's client id is its username, an external bridge's is its own.
      // Up to its first await this runs now, as the message is read: checks, decoding and the decoder state's move.
      return clientOrder.run(`${raw.principal ?? ''}\u0000${raw.clientId ?? ''}`, async (slot): Promise<IngestOutcome> => {
        const checked = checkMessage(raw, checkCtx)
        if (checked.ok === 'ignore') return { status: 'ignored' }
        if (checked.ok === 'bridge_state') {
          // A zigbee2mqtt bridge is a base unit: its own last will (bridge/state offline) is a link fault for its site.
          const b = index.config.zigbee2mqtt.find((x) => x.id === checked.bridgeId)!
          if (checked.state) await this.linkHealth({ kind: 'bridge', id: b.id, site: b.site, priority: 'high' }, checked.state === 'online' ? 'up' : 'down', `zigbee2mqtt bridge ${checked.state}`, raw.receivedAt)
          return { status: 'ignored' }
        }
        if (!checked.ok) return reject(raw, checked.error, checked.deviceId)
        const device = checked.message.device
        if (checked.message.topicSuffix === 'status') return liveness(device.id, raw)
        const before = decoderStates.get(device.id)
        const normalised = normalise(checked.message, deps.decoders, before)
        if (!normalised.ok) return reject(raw, normalised.error, device.id)
        // At once, not after the commit and its sync: a device's next message (a bridge flushing its queue sends them
        // back to back) must be read against this one, or an edge between them (occupied, then clear) is never seen.
        // If this message is not acknowledged, the state goes back (client-order.ts) and its resend is read as it was.
        if (normalised.state !== undefined) {
          decoderStates.set(device.id, normalised.state)
          slot.moved(device.id, before, normalised.state)
        }
        // A message with no new event (a zigbee2mqtt state report that changed nothing) still shows the device is alive.
        // An alarm that will page goes ahead of routine work (ingest/commit-lane.ts), decided before anything is submitted.
        const lanes = normalised.events.map((e) => laneOf(e, device.person))
        const outcomes = await Promise.all(normalised.events.map((event, i) => deps.transact((fx) => processEvent(event, fx), (err) => recordFailure(event, err), lanes[i])))
        // zigbee2mqtt availability "offline" is the bridge saying the device is gone, not a sign of life.
        if (!normalised.events.some((e) => e.type === 'offline')) {
          const battery = normalised.events.map((e) => e.detail?.battery).find((b) => typeof b === 'number') as number | undefined
          await supervisionSeen(device.id, raw.receivedAt, battery)
        }
        return outcomes.find((o) => o.status === 'accepted') ?? outcomes[0] ?? { status: 'duplicate', seq: null }
      })
    },

    /** Supervision deadlines due at `now`: silent devices, and restored devices now steady. */
    superviseDue(now: number): Promise<number> {
      const changes = supervisor.due(now)
      if (changes.length === 0) return Promise.resolve(0)
      return deps.transact((fx) => {
        for (const c of changes) applySupervision(c, now, fx)
        return changes.length
      })
    },

    /** Device health for the dashboard: last seen, online, battery, open technical alerts. */
    deviceHealth: (deviceId: string) => supervisor.health(deviceId),

    /** Fire every deadline due at `now` (rule deadlines and escalation steps, missed ones included), each exactly once. */
    fireDueTimers(now: number): Promise<number> {
      // While another process holds the lock, the alarms and ladder steps falling due are paged from a dry run too.
      const work = (fx: Effects) => {
        const due = repos.timers.due(now)
        for (const t of due) {
          repos.timers.clear(t.key)
          fx.timersChanged = true
          const b = bindings.byKey.get(t.key)
          if (!b) {
            repos.audit.append({ at: now, kind: 'rule.decision', actor: `rule:${t.ruleId}`, personId: t.personId, eventSeq: t.createdEventSeq, detail: { rule_id: t.ruleId, outcome: 'ignore', reason: 'deadline for a rule no longer in the configuration' } })
            continue
          }
          applyStep(b, evaluateTimer(b, repos.ruleState.get(b.personId, b.rule.id), now, evalContext(b.personId, b.deviceId, now)), b.deviceId, t.createdEventSeq, now, fx)
        }
        // Escalation deadlines: every open alert whose ladder step is due moves on.
        return due.length + advanceDue(lifecycle, fx, now)
      }
      return deps.transact(work, undefined, pagedWhileLocked(work))
    },

    /** Record every rule that differs from the version last run (rules/rule-versions.ts). */
    recordRuleVersions(changedBy: string, note: string | null, now: number): Promise<number> {
      return deps.transact(() => recordRuleVersions(repos, bindings, changedBy, note, now))
    },

    /**
     * A paging line or a panel input went down or came back (issue 5). Down raises a technical alert for its
     * site (pages go to other routes while a line is down); back up records the recovery and clears the
     * source, which never silently ends a high-priority alert.
     */
    linkHealth(link: { kind: 'line' | 'input' | 'bridge'; id: string; site: string; priority: 'high' | 'medium' | 'low' }, state: 'up' | 'down', reason: string, now: number): Promise<void> {
      const key = `${link.kind}/${link.id}`
      const what = { line: `paging line ${link.id}`, input: `input ${link.id}`, bridge: `zigbee2mqtt bridge ${link.id}` }[link.kind]
      return deps.transact((fx) => {
        repos.audit.append({ at: now, kind: 'pager.line', actor: `${link.kind}:${link.id}`, detail: { [link.kind]: link.id, state, reason } })
        if (state === 'down') {
          const alertClass = { line: 'PAGER LINE DOWN', input: 'INPUT LINK DOWN', bridge: 'BRIDGE OFFLINE' }[link.kind]
          raiseAlert(lifecycle, fx, { siteId: link.site, personId: null, subject: link.id.toUpperCase(), deviceId: null, ruleId: `${link.kind}-supervision`, ruleVersion: 'builtin', conditionKey: key, kind: 'technical', alertClass, priority: link.priority, triggerEventSeq: null, reason: `${what} down: ${reason}` }, now)
        } else {
          sourceCleared(lifecycle, fx, key, `${what} restored: ${reason}`, now)
        }
      })
    },

    ...siteAlarms,

    /** An event from a source that is not MQTT (a nurse-call panel over ESPA): journaled and processed like any other. */
    ingestEvent(event: Omit<DeviceEvent, 'seq'>): Promise<IngestOutcome> {
      const person = index.devices.get(event.deviceId)?.person
      return deps.transact((fx) => processEvent(event, fx), (err) => recordFailure(event, err), person === undefined ? undefined : laneOf(event, person))
    },

    /** A message from a non-MQTT source that could not be used (an unmapped panel call address). */
    rejectInput(source: string, deviceId: string | null, error: GatewayError, detail: Record<string, unknown>, now: number): Promise<void> {
      deps.rejections.set(error.code, (deps.rejections.get(error.code) ?? 0) + 1)
      return deps.transact(() => void repos.audit.append({ at: now, kind: 'input.rejected', actor: source, deviceId, detail: { code: error.code, reason: error.message, ...detail } }), undefined, AUDIT_ONLY)
    },

    /** A frame sent to or received from a paging line that belongs to a page: into the audit trail as hex. */
    pagerFrame(lineId: string, direction: 'tx' | 'rx', bytes: Buffer, notificationId: string | null, what: string, now: number): Promise<void> {
      return deps.transact(() => {
        const n = notificationId ? repos.notifications.get(notificationId) : null
        repos.audit.append({ at: now, kind: 'pager.frame', actor: `line:${lineId}`, alertId: n?.alertId ?? null, detail: { line: lineId, direction, hex: bytes.toString('hex'), notification_id: notificationId, what } })
      }, undefined, AUDIT_ONLY)
    },

    /** Give every clock-driven rule (expected event missing, inactivity) its deadline if it has none. */
    armClockRules(now: number): Promise<number> {
      return deps.transact((fx) => {
        let armed = 0
        for (const b of bindings.all) {
          if (repos.timers.get(b.conditionKey)) continue
          const step = armRule(b, repos.ruleState.get(b.personId, b.rule.id), now)
          if (!step) continue
          applyStep(b, step, b.deviceId, null, now, fx)
          armed++
        }
        return armed
      })
    },
  }
}

export type Pipeline = ReturnType<typeof createPipeline>
