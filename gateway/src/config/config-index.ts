import type { DeviceConfig, GatewayConfig, PagerConfig, PersonConfig, UserConfig } from './schema.js'

/** Lookup tables built once from the frozen configuration. */
export interface ConfigIndex {
  readonly config: Readonly<GatewayConfig>
  readonly devices: ReadonlyMap<string, DeviceConfig>
  readonly people: ReadonlyMap<string, PersonConfig>
  readonly users: ReadonlyMap<string, UserConfig>
  readonly pagers: ReadonlyMap<string, PagerConfig>
}

export function indexConfig(config: Readonly<GatewayConfig>): ConfigIndex {
  return {
    config,
    devices: new Map(config.devices.map((d) => [d.id, d])),
    people: new Map(config.people.map((p) => [p.id, p])),
    users: new Map(config.users.map((u) => [u.id, u])),
    pagers: new Map(config.pagers.map((p) => [p.id, p])),
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
