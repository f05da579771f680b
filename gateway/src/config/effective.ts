import type { DeviceConfig, GatewayConfig } from './schema.js'

/** The running configuration derived from a document, and why each disabled device is out of service. */
export interface Effective {
  readonly config: GatewayConfig
  /** Devices present in the document but out of service: their events are refused with a precise reason. */
  readonly disabledDevices: ReadonlyMap<string, { readonly device: DeviceConfig; readonly reason: string }>
}

/**
 * What the running gateway uses: the document with every disabled entity taken out, and the consequences
 * followed through, so nothing downstream needs to know about `disabled`:
 * - a disabled user is nobody's carer, has no pagers and no shifts (cannot be paged);
 * - a disabled pager is never paged and is nobody's fallback;
 * - a disabled person's devices are out of service with them;
 * - a rule that is disabled, or that watches only devices out of service, is not evaluated;
 * - a disabled ladder leaves the default ladder for its site and priority; a disabled shift is off the rota.
 * Objects that survive are the document's own (arrays are filtered, not copied), so issues found in the
 * result can be traced back to the document (see issue-paths.ts).
 */
export function effectiveConfig(doc: GatewayConfig): Effective {
  const users = doc.users.filter((u) => !u.disabled)
  const userIds = new Set(users.map((u) => u.id))
  const pagers = doc.pagers.filter((p) => !p.disabled && userIds.has(p.user))
  const pagerIds = new Set(pagers.map((p) => p.id))
  const disabledPeople = new Set(doc.people.filter((p) => p.disabled).map((p) => p.id))
  const disabledDevices = new Map<string, { device: DeviceConfig; reason: string }>()
  for (const d of doc.devices) {
    if (d.disabled) disabledDevices.set(d.id, { device: d, reason: 'disabled' })
    else if (disabledPeople.has(d.person)) disabledDevices.set(d.id, { device: d, reason: `its person '${d.person}' is disabled` })
  }
  const devices = doc.devices.filter((d) => !disabledDevices.has(d.id))
  const people = doc.people.filter((p) => !p.disabled).map((p) => {
    const own = devices.some((d) => d.person === p.id)
    const rules = p.rules.filter((r) => !r.disabled && (r.device ? !disabledDevices.has(r.device) : own || !doc.devices.some((d) => d.person === p.id)))
    const carers = p.carers.filter((c) => userIds.has(c))
    return rules.length === p.rules.length && carers.length === p.carers.length ? p : { ...p, rules, carers }
  })
  return {
    config: {
      ...doc,
      users,
      pagers: pagers.map((p) => (p.fallback !== undefined && !pagerIds.has(p.fallback) ? withoutFallback(p) : p)),
      people,
      devices,
      escalation: doc.escalation.filter((l) => !l.disabled),
      rota: doc.rota.filter((s) => !s.disabled && userIds.has(s.user)),
    },
    disabledDevices,
  }
}

function withoutFallback<T extends { fallback?: string }>(p: T): T {
  const { fallback: _f, ...rest } = p
  return rest as T
}
