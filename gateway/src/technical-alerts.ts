import type { ConfigIndex } from './config/config-index.js'
import type { Repositories } from './core/contracts.js'
import type { Effects } from './core/effects.js'
import type { DeviceEvent } from './core/event.js'
import { closeBySystem, type LifecycleDeps, raiseAlert, sourceCleared } from './lifecycle/alert-service.js'
import type { DeviceSupervisor, SupervisionChange } from './supervision/supervisor.js'

/** What the gateway knows of a device type's technical events (from its adapter declaration). */
export interface TechnicalView {
  readonly technical?: Readonly<Record<string, { readonly alert_class: string; readonly priority: 'high' | 'medium' | 'low'; readonly cleared_by?: string }>>
  readonly faultCodes?: Readonly<Record<string, string>>
}

/**
 * Technical alerts about devices (issue 6): battery low, tamper, mains and link faults as declared by the
 * device type, an unknown fault code as "device fault: unknown code X" (never a silent drop), and
 * supervision: "not reporting", "restored", and the end of the episode once the device is steady again.
 * Composition of stages (like pipeline.ts), so it may use the lifecycle.
 */
export function createTechnicalAlerts(deps: { index: ConfigIndex; repos: Repositories; lifecycle: LifecycleDeps; types: ReadonlyMap<string, TechnicalView>; supervisor: DeviceSupervisor }) {
  const { index, repos, lifecycle } = deps

  function raise(fx: Effects, deviceId: string, key: string, alertClass: string, priority: 'high' | 'medium' | 'low', reason: string, eventSeq: number | null, now: number): void {
    const d = index.devices.get(deviceId)
    if (!d) return
    raiseAlert(lifecycle, fx, { siteId: d.site, personId: d.person, deviceId, ruleId: 'device-supervision', ruleVersion: 'builtin', conditionKey: key, kind: 'technical', alertClass, priority, triggerEventSeq: eventSeq, reason }, now)
  }

  return {
    /** A journaled event: if the device type declares it technical, raise or clear its alert. */
    onEvent(event: DeviceEvent, fx: Effects): void {
      // zigbee2mqtt availability (protocols.md §5.2) feeds supervision: offline is "not reporting" at once.
      if (event.type === 'offline') {
        const dev = index.devices.get(event.deviceId)
        if (dev && deps.supervisor.markSilent(event.deviceId)) raise(fx, event.deviceId, `supervision/${event.deviceId}`, 'NOT REPORTING', dev.not_reporting_priority, `${event.deviceId} reported offline by its bridge`, event.seq, event.receivedAt)
        return
      }
      const d = index.devices.get(event.deviceId)
      const view = d ? deps.types.get(d.type) : undefined
      if (!view?.technical) return
      const tech = view.technical[event.type]
      if (tech) {
        const code = event.detail?.code
        const known = typeof code === 'string' ? view.faultCodes?.[code] : undefined
        const reason = typeof code === 'string' ? (known ? `device fault ${code}: ${known}` : `device fault: unknown code ${code}`) : `${event.type.replace(/_/g, ' ')} reported by ${event.deviceId}`
        // The installation may set its own priority for a device's technical events.
        const priority = d?.technical_priority?.[event.type] ?? tech.priority
        raise(fx, event.deviceId, `tech/${event.deviceId}/${event.type}`, tech.alert_class, priority, reason, event.seq, event.receivedAt)
      }
      for (const [type, t] of Object.entries(view.technical)) {
        if (t.cleared_by === event.type) sourceCleared(lifecycle, fx, `tech/${event.deviceId}/${type}`, `${event.type.replace(/_/g, ' ')} reported by ${event.deviceId}`, event.receivedAt)
      }
    },

    /** A device that was flagged silent spoke again: record it (the episode ends once it is steady). */
    restored(deviceId: string, at: number, silentFor: number, fx: Effects): void {
      const alert = repos.alerts.findOpenByCondition(`supervision/${deviceId}`)
      repos.audit.append({ at, kind: 'device.restored', actor: `device:${deviceId}`, deviceId, alertId: alert?.id ?? null, detail: { silent_for_s: Math.round(silentFor / 1000) } })
      if (alert) fx.alertsChanged.add(alert.id)
    },

    /** A supervision change found by the periodic check. */
    apply(c: SupervisionChange, now: number, fx: Effects): void {
      const d = index.devices.get(c.deviceId)
      if (!d) return
      if (c.kind === 'silent') {
        repos.audit.append({ at: now, kind: 'device.not_reporting', actor: 'gateway', deviceId: c.deviceId, personId: d.person, detail: { last_seen: new Date(c.lastSeen).toISOString(), window_s: Math.round(c.windowMs / 1000) } })
        // A device already in an open episode (flapping) folds into it as a repeat: reported once, not ten times.
        raise(fx, c.deviceId, `supervision/${c.deviceId}`, 'NOT REPORTING', d.not_reporting_priority, c.windowMs === 0 ? `${c.deviceId} went offline (its connection's last will)` : `no message from ${c.deviceId} for ${Math.round((now - c.lastSeen) / 1000)} s (window ${Math.round(c.windowMs / 1000)} s)`, null, now)
      } else if (c.kind === 'stable') {
        closeBySystem(lifecycle, fx, `supervision/${c.deviceId}`, `${c.deviceId} reporting steadily again`, now)
      }
    },
  }
}
