import type { Logger } from 'pino'
import { type ConfigIndex, userMayAct } from './config/config-index.js'
import type { Alert } from './core/alert.js'
import type { Repositories } from './core/contracts.js'
import type { Effects } from './core/effects.js'
import type { DeviceEvent, RawMessage } from './core/event.js'
import { type GatewayError, gatewayError, isGatewayError } from './core/errors.js'
import { checkMessage } from './ingest/check-message.js'
import { acceptAlert, type AckChannel, type LifecycleDeps, raiseAlert, reportNotification } from './lifecycle/alert-service.js'
import type { NotificationEvent } from './lifecycle/transitions.js'
import { type Decoder, normalise } from './normalise/normalise.js'
import { planNotifications } from './routing/recipients.js'
import { bindRules, evaluateEvent, evaluateTimer, type RuleBinding, ruleTriggeredBy } from './rules/engine.js'
import type { RuleStep } from './rules/types.js'

/** What happened to one incoming message; the transport acknowledges only after this resolves. */
export type IngestOutcome =
  | { readonly status: 'accepted'; readonly seq: number }
  | { readonly status: 'duplicate'; readonly seq: number | null }
  | { readonly status: 'rejected'; readonly error: GatewayError }

/** Runs a unit of work inside the next group commit (store/group-commit.ts). */
export type Transact = <T>(run: (fx: Effects) => T, recover?: (err: unknown, fx: Effects) => T) => Promise<T>

export interface PipelineDeps {
  readonly index: ConfigIndex
  readonly decoders: ReadonlyMap<string, Decoder>
  readonly repos: Repositories
  readonly transact: Transact
  readonly newId: (prefix: 'al' | 'nt') => string
  readonly log: Logger
  /** Counts of rejected input by error code, exposed as metrics. */
  readonly rejections: Map<string, number>
}

/**
 * THE pipeline: ingest → normalise → rules → lifecycle → routing → audit, in that order, in one place.
 * Each stage is a function from core types to core types; this file only chains them and decides
 * what is committed together. An event, everything it causes, and its audit rows commit atomically.
 */
export function createPipeline(deps: PipelineDeps) {
  const { index, repos, log } = deps
  const bindings = bindRules(index.config)
  const lifecycle: LifecycleDeps = {
    alerts: repos.alerts,
    notifications: repos.notifications,
    audit: repos.audit,
    newId: deps.newId,
    plan: (personId, alertClass) => planNotifications(index.people.get(personId)!, alertClass, index.config),
    mayAct: (userId, personId) => userMayAct(index, userId, personId),
  }
  const checkCtx = { devices: index.devices, maxPayloadBytes: index.config.ingest.max_payload_bytes }

  function reject(raw: RawMessage, error: GatewayError, deviceId: string | null): Promise<IngestOutcome> {
    deps.rejections.set(error.code, (deps.rejections.get(error.code) ?? 0) + 1)
    log.warn({ code: error.code, topic: raw.topic, principal: raw.principal, bytes: raw.payload.length, reason: error.message }, 'device input rejected')
    return deps.transact(() => {
      repos.audit.append({
        at: raw.receivedAt, kind: 'input.rejected', actor: raw.principal ? `device:${raw.principal}` : 'anonymous', deviceId,
        detail: { code: error.code, reason: error.message, topic: raw.topic, bytes: raw.payload.length, client_id: raw.clientId, payload_head_hex: raw.payload.subarray(0, 64).toString('hex') },
      })
      return { status: 'rejected', error } as const
    })
  }

  /** Fold a rule step into state, timers, audit and (for `raise`) the alert lifecycle. */
  function applyStep(b: RuleBinding, step: RuleStep<unknown>, eventSeq: number | null, now: number, fx: Effects): void {
    repos.ruleState.put(b.personId, b.rule.id, step.state)
    if (step.timer === 'clear') fx.timersChanged ||= repos.timers.clear(b.conditionKey)
    else if (step.timer) {
      repos.timers.set({ key: b.conditionKey, dueAt: step.timer.dueAt, personId: b.personId, ruleId: b.rule.id, createdEventSeq: eventSeq })
      fx.timersChanged = true
    }
    for (const d of step.decisions) {
      const alert = d.outcome === 'raise'
        ? raiseAlert(lifecycle, fx, { siteId: b.siteId, personId: b.personId, deviceId: b.deviceId, ruleId: b.rule.id, ruleVersion: b.version, conditionKey: b.conditionKey, ...d.alert, triggerEventSeq: eventSeq, reason: d.reason }, now)
        : null
      // Written after the alert exists so the decision row carries its id; the alert's own rows come first.
      repos.audit.append({ at: now, kind: 'rule.decision', actor: `rule:${b.rule.id}`, alertId: alert?.id ?? null, personId: b.personId, deviceId: b.deviceId, eventSeq, detail: { rule_id: b.rule.id, rule_version: b.version, outcome: d.outcome, reason: d.reason } })
    }
  }

  function processEvent(event: Omit<DeviceEvent, 'seq'>, fx: Effects): IngestOutcome {
    const seq = repos.journal.insert(event, 'processed')
    if (seq === null) {
      const original = repos.journal.findSeq(event.deviceId, event.eventId)
      repos.audit.append({ at: event.receivedAt, kind: 'event.duplicate', actor: `device:${event.deviceId}`, deviceId: event.deviceId, eventSeq: original, detail: { event_id: event.eventId, type: event.type } })
      return { status: 'duplicate', seq: original }
    }
    repos.audit.append({ at: event.receivedAt, kind: 'event.received', actor: `device:${event.deviceId}`, deviceId: event.deviceId, eventSeq: seq, detail: { event_id: event.eventId, type: event.type, device_at: new Date(event.deviceAt).toISOString(), received_at: new Date(event.receivedAt).toISOString() } })
    for (const b of bindings.byDevice.get(event.deviceId) ?? []) {
      if (!ruleTriggeredBy(b, event.type)) continue
      applyStep(b, evaluateEvent(b, repos.ruleState.get(b.personId, b.rule.id), { type: event.type, at: event.receivedAt }), seq, event.receivedAt, fx)
    }
    return { status: 'accepted', seq }
  }

  /** A processing bug must not lose the event: journal it as failed, audit why, and acknowledge. */
  function recordFailure(event: Omit<DeviceEvent, 'seq'>, err: unknown): IngestOutcome {
    log.error({ err, device: event.deviceId, event_id: event.eventId }, 'event processing failed; journaled as failed')
    const seq = repos.journal.insert(event, 'failed')
    repos.audit.append({ at: event.receivedAt, kind: 'processing.failed', actor: 'gateway', deviceId: event.deviceId, eventSeq: seq, detail: { event_id: event.eventId, type: event.type, error: (err as Error).message } })
    return seq === null ? { status: 'duplicate', seq: null } : { status: 'accepted', seq }
  }

  /** Run a user command; a refusal is audited with the actor and returned as a rejected promise. */
  async function command<T>(actor: string, what: string, now: number, run: (fx: Effects) => T): Promise<T> {
    const result = await deps.transact<{ ok: true; value: T } | { ok: false; error: unknown }>(
      (fx) => ({ ok: true, value: run(fx) }),
      (error) => {
        repos.audit.append({ at: now, kind: 'command.refused', actor, detail: { command: what, code: isGatewayError(error) ? error.code : 'GW_ERR_BUG', reason: (error as Error).message } })
        return { ok: false, error }
      },
    )
    if (!result.ok) throw result.error
    return result.value
  }

  return {
    /** Validate, journal and process one device message. Resolves once durably committed. */
    ingest(raw: RawMessage): Promise<IngestOutcome> {
      const checked = checkMessage(raw, checkCtx)
      if (!checked.ok) return reject(raw, checked.error, checked.deviceId)
      const normalised = normalise(checked.message, deps.decoders)
      if (!normalised.ok) return reject(raw, normalised.error, checked.message.device.id)
      const event = normalised.event
      return deps.transact((fx) => processEvent(event, fx), (err) => recordFailure(event, err))
    },

    /** Fire every deadline due at `now` (missed ones included), each exactly once. */
    fireDueTimers(now: number): Promise<number> {
      return deps.transact((fx) => {
        const due = repos.timers.due(now)
        for (const t of due) {
          repos.timers.clear(t.key)
          fx.timersChanged = true
          const b = bindings.byKey.get(t.key)
          if (!b) {
            repos.audit.append({ at: now, kind: 'rule.decision', actor: `rule:${t.ruleId}`, personId: t.personId, eventSeq: t.createdEventSeq, detail: { rule_id: t.ruleId, outcome: 'ignore', reason: 'deadline for a rule no longer in the configuration' } })
            continue
          }
          applyStep(b, evaluateTimer(b, repos.ruleState.get(b.personId, b.rule.id), now), t.createdEventSeq, now, fx)
        }
        return due.length
      })
    },

    /** A carer accepts an alert ("I'm going"). */
    accept(alertId: string, userId: string, via: AckChannel, now: number): Promise<Alert> {
      return command(`user:${userId}`, `accept ${alertId}`, now, (fx) => acceptAlert(lifecycle, fx, alertId, userId, via, now))
    },

    /** The carer's screen confirms it shows a page (soft pager). Only the addressee may confirm. */
    delivered(notificationId: string, userId: string, now: number): Promise<void> {
      return command(`user:${userId}`, `delivered ${notificationId}`, now, (fx) => {
        const n = repos.notifications.get(notificationId)
        if (!n || n.userId !== userId) throw gatewayError('GW_ERR_AUTH_FORBIDDEN', [`notification '${notificationId}' is not addressed to '${userId}'`])
        // The screen may show a page from its snapshot before the driver's "sent" is recorded.
        if (n.state === 'queued') reportNotification(lifecycle, fx, n.id, 'send', now, { via: 'snapshot' })
        if (repos.notifications.get(n.id)?.state === 'sent') reportNotification(lifecycle, fx, n.id, 'deliver', now, { actor: `user:${userId}`, via: 'soft_pager' })
      })
    },

    /** A driver or pager reports on a notification. */
    report(notificationId: string, event: NotificationEvent, now: number, detail: Record<string, unknown> = {}): Promise<void> {
      return command('gateway', `${event} ${notificationId}`, now, (fx) => void reportNotification(lifecycle, fx, notificationId, event, now, detail))
    },
  }
}

export type Pipeline = ReturnType<typeof createPipeline>
