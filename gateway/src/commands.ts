import { type ConfigIndex, userMayAct } from './config/config-index.js'
import type { Alert, AlertOutcome } from './core/alert.js'
import type { Repositories } from './core/contracts.js'
import type { Effects } from './core/effects.js'
import { gatewayError, isGatewayError } from './core/errors.js'
import type { Suppression, SuppressionKind } from './core/suppression.js'
import { acceptAlert, type AckChannel, closeAlert, declineAlert, type LifecycleDeps, reportNotification, resolveAlert } from './lifecycle/alert-service.js'
import type { NotificationEvent } from './lifecycle/transitions.js'
import type { Transact } from './pipeline.js'
import { checkPresenceLength } from './suppression/presence.js'
import { clearSuppression, setSuppression, type SuppressionDeps } from './suppression/suppressions.js'
import { revokeDeviceSecret, rotateDeviceSecret } from './access/device-credentials.js'

export interface CommandDeps {
  readonly index: ConfigIndex
  readonly repos: Repositories
  readonly transact: Transact
  readonly lifecycle: LifecycleDeps
  readonly suppressionDeps: SuppressionDeps
}

/**
 * What people (and drivers) ask the gateway to do. Each command is one unit of work; a refusal is
 * audited with the actor (`command.refused`) and comes back to the caller as the error.
 */
export function createCommands(deps: CommandDeps) {
  const { repos, index } = deps

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

  /** Who a suppression's target belongs to, and whether this user may set one there. */
  function suppressionTarget(userId: string, kind: SuppressionKind, target: { person_id?: string; device_id?: string }) {
    const device = target.device_id ? index.devices.get(target.device_id) : undefined
    const personId = target.person_id ?? device?.person
    if (target.device_id && !device) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`unknown device '${target.device_id}'`])
    if (!personId || !index.people.has(personId)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`unknown person '${target.person_id ?? ''}'`])
    const role = index.users.get(userId)?.role
    const allowed = role === 'team_leader' || role === 'at_admin' || (role === 'carer' && kind === 'carer_present' && userMayAct(index, userId, personId))
    if (!allowed) throw gatewayError('GW_ERR_AUTH_FORBIDDEN', [`role '${role ?? 'none'}' may not set a '${kind}' suppression for this person`])
    return { personId, deviceId: target.device_id ?? null }
  }

  return {
    /** A carer accepts an alert ("I'm going"). */
    accept(alertId: string, userId: string, via: AckChannel, now: number): Promise<Alert> {
      return command(`user:${userId}`, `accept ${alertId}`, now, (fx) => acceptAlert(deps.lifecycle, fx, alertId, userId, via, now))
    },

    /** A carer declines ("can't"): the ladder moves on at once. */
    decline(alertId: string, userId: string, via: AckChannel, now: number): Promise<Alert> {
      return command(`user:${userId}`, `decline ${alertId}`, now, (fx) => declineAlert(deps.lifecycle, fx, alertId, userId, via, now))
    },

    /** The carer has attended ("done"). */
    resolve(alertId: string, userId: string, now: number): Promise<Alert> {
      return command(`user:${userId}`, `resolve ${alertId}`, now, (fx) => resolveAlert(deps.lifecycle, fx, alertId, userId, now))
    },

    /** Close with an outcome and an optional note. */
    close(alertId: string, userId: string, outcome: AlertOutcome, note: string | null, now: number): Promise<Alert> {
      return command(`user:${userId}`, `close ${alertId}`, now, (fx) => closeAlert(deps.lifecycle, fx, alertId, userId, outcome, note, now))
    },

    /** An AT admin issues or rotates a device's MQTT secret; returns it once. */
    async rotateDevice(userId: string, deviceId: string, now: number): Promise<string> {
      if (index.users.get(userId)?.role !== 'at_admin') {
        return command(`user:${userId}`, `rotate credential ${deviceId}`, now, () => { throw gatewayError('GW_ERR_AUTH_FORBIDDEN', ['only AT admins may provision devices']) })
      }
      if (!index.devices.has(deviceId) && !index.config.zigbee2mqtt.some((b) => b.id === deviceId)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`unknown device '${deviceId}'`])
      return rotateDeviceSecret(repos, (run) => command(`user:${userId}`, `rotate credential ${deviceId}`, now, run), deviceId, `user:${userId}`, now)
    },

    /** An AT admin revokes a device's MQTT secret. */
    revokeDevice(userId: string, deviceId: string, now: number): Promise<void> {
      return command(`user:${userId}`, `revoke credential ${deviceId}`, now, () => {
        if (index.users.get(userId)?.role !== 'at_admin') throw gatewayError('GW_ERR_AUTH_FORBIDDEN', ['only AT admins may provision devices'])
        revokeDeviceSecret(repos, deviceId, `user:${userId}`, now)
      })
    },

    /** The carer's screen confirms it shows a page (soft pager). Only the addressee may confirm. */
    delivered(notificationId: string, userId: string, now: number): Promise<void> {
      return command(`user:${userId}`, `delivered ${notificationId}`, now, (fx) => {
        const n = repos.notifications.get(notificationId)
        if (!n || n.userId !== userId) throw gatewayError('GW_ERR_AUTH_FORBIDDEN', [`notification '${notificationId}' is not addressed to '${userId}'`])
        // The screen may show a page from its snapshot before the driver's "sent" is recorded.
        if (n.state === 'queued') reportNotification(deps.lifecycle, fx, n.id, 'send', now, { via: 'snapshot' })
        if (repos.notifications.get(n.id)?.state === 'sent') reportNotification(deps.lifecycle, fx, n.id, 'deliver', now, { actor: `user:${userId}`, via: 'soft_pager' })
      })
    },

    /**
     * A two-way paging system reported on a page (ESPA record 7): delivered, accepted by the called party
     * (an acknowledgement attributed to the pager's user, via 'pager_status'), or failed.
     */
    async pagerReport(notificationId: string, event: 'deliver' | 'accept' | 'reject' | 'fail' | 'undeliverable', detail: Record<string, unknown>, now: number): Promise<void> {
      const n = repos.notifications.get(notificationId)
      if (!n) return
      if (event === 'accept') {
        await command(`user:${n.userId}`, `accept ${n.alertId} (pager)`, now, (fx) => {
          if (repos.notifications.get(n.id)?.state === 'sent') reportNotification(deps.lifecycle, fx, n.id, 'deliver', now, { via: 'pager_status', ...detail })
          acceptAlert(deps.lifecycle, fx, n.alertId, n.userId, 'pager_status', now)
        })
        return
      }
      if (event === 'reject') {
        await command(`user:${n.userId}`, `decline ${n.alertId} (pager)`, now, (fx) => declineAlert(deps.lifecycle, fx, n.alertId, n.userId, 'pager_status', now))
        return
      }
      await command('gateway', `${event} ${notificationId}`, now, (fx) => void reportNotification(deps.lifecycle, fx, notificationId, event, now, { via: 'pager_status', ...detail }))
    },

    /** A driver or pager reports on a notification. */
    report(notificationId: string, event: NotificationEvent, now: number, detail: Record<string, unknown> = {}): Promise<void> {
      return command('gateway', `${event} ${notificationId}`, now, (fx) => void reportNotification(deps.lifecycle, fx, notificationId, event, now, detail))
    },

    /** Set a suppression through the API (carer present, away/in hospital, maintenance); carer present no longer than a presence button's. */
    suppress(userId: string, input: { kind: SuppressionKind; person_id?: string; device_id?: string; reason: string; expiresAt: number }, now: number): Promise<Suppression> {
      return command(`user:${userId}`, `suppress ${input.kind}`, now, () => {
        const t = suppressionTarget(userId, input.kind, input)
        if (input.kind === 'carer_present') checkPresenceLength(index.people.get(t.personId)!, input.expiresAt, now)
        return setSuppression(deps.suppressionDeps, { kind: input.kind, scope: t.deviceId ? 'device' : 'person', target: t.deviceId ?? t.personId, reason: input.reason, setBy: `user:${userId}`, expiresAt: input.expiresAt, personId: t.personId, deviceId: t.deviceId }, now)
      })
    },

    /** End a suppression early. */
    unsuppress(userId: string, id: string, now: number): Promise<void> {
      return command(`user:${userId}`, `unsuppress ${id}`, now, () => {
        const s = repos.suppressions.get(id)
        if (!s) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`no suppression '${id}'`])
        const t = suppressionTarget(userId, s.kind, s.scope === 'device' ? { device_id: s.target } : { person_id: s.target })
        clearSuppression(deps.suppressionDeps, id, `user:${userId}`, now, t.personId)
      })
    },
  }
}

export type Commands = ReturnType<typeof createCommands>
