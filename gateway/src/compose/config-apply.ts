import type { Logger } from 'pino'
import { recordDeviceSecret } from '../access/device-credentials.js'
import { generateSecret, hashSecret } from '../access/secrets.js'
import type { Repositories } from '../core/contracts.js'
import type { Effects } from '../core/effects.js'
import type { ActiveConfig, ChangeRequest, ChangeResult, ConfigStore } from '../config/config-store.js'
import { type ConfigIndex, refreshIndex } from '../config/config-index.js'
import type { GatewayConfig } from '../config/schema.js'
import type { Window } from '../supervision/supervisor.js'

/** The running parts a configuration change reaches (composition only: each owns its own refresh). */
export interface ConfigApplyDeps {
  readonly store: ConfigStore
  readonly index: ConfigIndex
  readonly log: Logger
  readonly now: () => number
  readonly pipeline: {
    refreshConfig(): void
    recordRuleVersions(changedBy: string, note: string | null, now: number): Promise<number>
    armClockRules(now: number): Promise<number>
  }
  /** Supervision windows per running device (its own override, else its type's). */
  readonly windowsFor: (config: Readonly<GatewayConfig>) => ReadonlyMap<string, Window>
  readonly setWindows: (windows: ReadonlyMap<string, Window>, now: number) => void
  readonly setPagers: (pagers: Readonly<GatewayConfig>['pagers']) => void
  /** The device broker's ACL reads each device's site again (it runs on its own thread, with its own copy). */
  readonly setBrokerSites: () => void
  /** Issue an MQTT secret for a device that has none yet (audited); null if it already has one. */
  readonly issueDeviceSecret: (deviceId: string, actor: string, now: number) => Promise<string | null>
  /** Users who may no longer sign in (disabled or removed): their sessions end and their screens close. */
  readonly usersGone?: (userIds: readonly string[]) => Promise<void>
  /** Forget a rule's state and deadline (its kind changed, so the old state means nothing to it). */
  readonly resetRule: (personId: string, ruleId: string) => Promise<void>
}

/** What the API adds to a saved change: a new device's secret (shown once) and the rule versions recorded. */
export interface Applied {
  readonly device_secret?: string
  readonly rule_versions_recorded: number
}

/**
 * Save a change and put it into effect without a restart (issue 7): the shared index is refreshed in place,
 * then everything that keeps something derived from it is told (rule bindings and device lookups, supervision
 * windows, pager addresses); rule versions are recorded with who and why; clock rules are re-armed (their
 * deadlines reschedule the timers on commit). A rule whose kind changed starts from its initial state.
 */
export function createConfigApplier(deps: ConfigApplyDeps) {
  async function apply(r: ChangeRequest, result: ChangeResult): Promise<Applied> {
    const now = deps.now()
    const eff = result.active.effective
    refreshIndex(deps.index, eff.config, eff.disabledDevices)
    deps.pipeline.refreshConfig()
    deps.setBrokerSites()
    deps.setWindows(deps.windowsFor(eff.config), now)
    deps.setPagers(eff.config.pagers)
    for (const [personId, ruleId] of kindChanges(result.previous, result.active)) await deps.resetRule(personId, ruleId)
    const recorded = await deps.pipeline.recordRuleVersions(r.actor, r.note, now)
    await deps.pipeline.armClockRules(now)
    let secret: string | null = null
    const device = r.section === 'devices' ? eff.config.devices.find((d) => d.id === r.key) : undefined
    // zigbee2mqtt devices speak through their bridge and have no MQTT login of their own.
    if (device && !device.z2m) secret = await deps.issueDeviceSecret(device.id, r.actor, now)
    const still = new Set(eff.config.users.map((u) => u.id))
    const gone = result.previous.effective.config.users.map((u) => u.id).filter((id) => !still.has(id))
    if (gone.length) await deps.usersGone?.(gone)
    deps.log.info({ version: result.version, section: r.section, key: r.key, op: r.op, actor: r.actor, rule_versions: recorded }, 'configuration change applied')
    return { ...(secret ? { device_secret: secret } : {}), rule_versions_recorded: recorded }
  }

  return {
    /** Validate, save and apply one change. */
    async change(r: ChangeRequest): Promise<ChangeResult & { applied: Applied | null }> {
      const result = await deps.store.change(r)
      return { ...result, applied: result.changed ? await apply(r, result) : null }
    },
  }
}

/** Rules present before and after whose kind differs. */
function kindChanges(before: ActiveConfig, after: ActiveConfig): [string, string][] {
  const kinds = new Map(before.effective.config.people.flatMap((p) => p.rules.map((r) => [`${p.id}/${r.id}`, r.kind] as const)))
  return after.effective.config.people.flatMap((p) => p.rules.filter((r) => kinds.has(`${p.id}/${r.id}`) && kinds.get(`${p.id}/${r.id}`) !== r.kind).map((r) => [p.id, r.id] as [string, string]))
}

type Transact = <T>(run: (fx: Effects) => T) => Promise<T>

/** A new device's MQTT secret, issued when the device is added through the configuration (shown once, hash stored). */
export function deviceSecretIssuer(repos: Pick<Repositories, 'credentials' | 'audit'>, transact: Transact) {
  return async (deviceId: string, actor: string, now: number): Promise<string | null> => {
    if (repos.credentials.get(deviceId)) return null
    const secret = generateSecret()
    const hash = await hashSecret(secret)
    const issued = await transact(() => {
      // Checked again in the writer: two saves of the same new device issue one secret.
      if (repos.credentials.get(deviceId)) return false
      recordDeviceSecret(repos, deviceId, hash, actor, now, 'configuration')
      return true
    })
    return issued ? secret : null
  }
}

/** Forget a rule's stored state and pending deadline. */
export function ruleResetter(repos: Pick<Repositories, 'ruleState' | 'timers'>, transact: Transact) {
  return (personId: string, ruleId: string): Promise<void> =>
    transact((fx) => {
      repos.ruleState.put(personId, ruleId, null)
      fx.timersChanged ||= repos.timers.clear(`${personId}/${ruleId}`)
    })
}
