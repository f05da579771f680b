import type { DeviceConfig, GatewayConfig, PagerConfig, PersonConfig, UserConfig } from './schema.js'

/** Lookup tables built once from the frozen configuration. */
export interface ConfigIndex {
  readonly config: Readonly<GatewayConfig>
  readonly devices: ReadonlyMap<string, DeviceConfig>
  readonly people: ReadonlyMap<string, PersonConfig>
  readonly users: ReadonlyMap<string, UserConfig>
  readonly pagers: ReadonlyMap<string, PagerConfig>
  /** Devices in the configuration but out of service (disabled, or their person is), with why: their events are refused by name. */
  readonly disabledDevices: ReadonlyMap<string, { readonly device: DeviceConfig; readonly reason: string }>
}

/** `config` is what runs: disabled entities already taken out (config/effective.ts). */
export function indexConfig(config: Readonly<GatewayConfig>, disabledDevices: ConfigIndex['disabledDevices'] = new Map()): ConfigIndex {
  return {
    config,
    devices: new Map(config.devices.map((d) => [d.id, d])),
    people: new Map(config.people.map((p) => [p.id, p])),
    users: new Map(config.users.map((u) => [u.id, u])),
    pagers: new Map(config.pagers.map((p) => [p.id, p])),
    disabledDevices: new Map(disabledDevices),
  }
}

/**
 * Hot apply (issue 7): the index is shared by reference across the gateway, so a new configuration is put
 * into the SAME object and the SAME maps (some modules keep a map, not the index). Runs between two turns of
 * the event loop, so no unit of work sees half of it.
 */
export function refreshIndex(index: ConfigIndex, config: Readonly<GatewayConfig>, disabledDevices: ConfigIndex['disabledDevices']): void {
  const fresh = indexConfig(config, disabledDevices)
  ;(index as { config: Readonly<GatewayConfig> }).config = config
  for (const key of ['devices', 'people', 'users', 'pagers', 'disabledDevices'] as const) {
    const target = index[key] as Map<string, unknown>
    target.clear()
    for (const [k, v] of fresh[key]) target.set(k, v)
  }
}

/** Team leaders act on every alert; carers only on alerts for the people they are assigned to (site-level technical alerts: team leaders, or whoever was paged). */
export function userMayAct(index: ConfigIndex, userId: string, personId: string | null): boolean {
  const user = index.users.get(userId)
  if (!user) return false
  if (user.role === 'team_leader') return true
  if (personId === null) return false
  return user.role === 'carer' && (index.people.get(personId)?.carers.includes(userId) ?? false)
}

/** Who may see an alert for this person: team leaders, AT admins and auditors see all; carers their own people. */
export function userMaySee(index: ConfigIndex, userId: string, personId: string | null): boolean {
  const user = index.users.get(userId)
  if (!user) return false
  if (user.role !== 'carer') return true
  if (personId === null) return false
  return index.people.get(personId)?.carers.includes(userId) ?? false
}
