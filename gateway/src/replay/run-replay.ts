import { parseConfig } from '../config/load.js'
import type { GatewayConfig, SchemaContext } from '../config/schema.js'
import type { DeviceEvent } from '../core/event.js'
import { gatewayError, isGatewayError } from '../core/errors.js'
import type { Suppression } from '../core/suppression.js'
import { compareReplays, type ReplayReport } from './compare.js'
import { replayRules } from './replay.js'

/** Where replay reads history from (read-only). */
export interface ReplaySource {
  /** Journaled events of these devices received in [from, to], in journal order. */
  events(deviceIds: readonly string[], from: number, to: number): Iterable<Omit<DeviceEvent, 'siteId' | 'eventId' | 'deviceAt'>>
  suppressions(from: number, to: number): Suppression[]
}

/**
 * A proposal is either a whole configuration file, or `{ "people": [{ "id", "rules": [...] }] }`, which
 * replaces those people's rules in the current configuration. Either way it is validated exactly as a
 * configuration file is, and every problem is reported as `path: message`.
 */
export function applyProposal(current: Readonly<GatewayConfig>, proposal: unknown, ctx: SchemaContext): Readonly<GatewayConfig> {
  try {
    return mergeProposal(current, proposal, ctx)
  } catch (err) {
    // A bad proposal is the caller's input, not the gateway's configuration: answer 400 with every problem.
    if (isGatewayError(err, 'GW_ERR_CONFIG_INVALID')) throw gatewayError('GW_ERR_API_BAD_REQUEST', [err.message], err.details)
    throw err
  }
}

function mergeProposal(current: Readonly<GatewayConfig>, proposal: unknown, ctx: SchemaContext): Readonly<GatewayConfig> {
  if (!proposal || typeof proposal !== 'object') throw gatewayError('GW_ERR_API_BAD_REQUEST', ['the proposed rules must be a JSON object'])
  const p = proposal as { sites?: unknown; people?: unknown }
  if (p.sites !== undefined) return parseConfig(proposal, ctx, 'proposed configuration')
  if (!Array.isArray(p.people)) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['the proposal needs "people": [{ "id": ..., "rules": [...] }]'])
  const byId = new Map((p.people as { id?: unknown; rules?: unknown }[]).map((x) => [String(x?.id), x?.rules]))
  for (const id of byId.keys()) if (!current.people.some((x) => x.id === id)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`the proposal names unknown person '${id}'`])
  const merged = { ...current, people: current.people.map((person) => (byId.has(person.id) ? { ...person, rules: byId.get(person.id) } : person)) }
  return parseConfig(JSON.parse(JSON.stringify(merged)), ctx, 'proposed rules')
}

/** Replay current and proposed rules over [from, to] and report the differences. */
export function runReplay(current: Readonly<GatewayConfig>, proposed: Readonly<GatewayConfig>, source: ReplaySource, from: number, to: number, personFilter?: string): ReplayReport {
  if (!(from < to)) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['"from" must be before "to"'])
  const deviceIds = [...new Set([...current.devices, ...proposed.devices].map((d) => d.id))]
  const events = [...source.events(deviceIds, from, to)]
  const suppressions = source.suppressions(from, to)
  return compareReplays(replayRules(current, events, suppressions, from, to), replayRules(proposed, events, suppressions, from, to), from, to, events.length, personFilter)
}

/** Parse a date or date-time argument: "2026-11-21" (UTC midnight) or RFC 3339. */
export function parseInstant(name: string, value: unknown): number {
  const t = typeof value === 'string' ? Date.parse(value) : NaN
  if (!Number.isFinite(t)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`"${name}" must be a date (2026-11-21) or an RFC 3339 time, got ${JSON.stringify(value)}`])
  return t
}
