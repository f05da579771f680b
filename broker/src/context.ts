import type { Client } from 'aedes'
import { Counters } from './limits.js'
import type { Principal, RefusedWhat, ResolvedOptions } from './options.js'

/** What the hooks of one broker share. */
export interface BrokerContext {
  readonly o: ResolvedOptions
  readonly counters: Counters
  /** Who each client authenticated as. */
  readonly principals: WeakMap<Client, Principal>
  /** Set by the internal token only: the gateway's own clients. */
  readonly internal: WeakSet<Client>
  /** The client registered under each client id, to refuse a takeover by another identity. */
  readonly holders: Map<string, Client>
  /** Clients being disconnected for a refusal: the rest of what they sent is refused without another report. */
  readonly dropped: WeakSet<Client>
  /** Count a refusal as `<what>.<key>` and report it through `onRefused` (unless `report` is false: a flood already reported). */
  refuse(what: RefusedWhat, key: string, clientId: string, reason: string, report?: boolean): void
}

export function createContext(o: ResolvedOptions): BrokerContext {
  const counters = new Counters()
  return {
    o,
    counters,
    principals: new WeakMap(),
    internal: new WeakSet(),
    holders: new Map(),
    dropped: new WeakSet(),
    refuse(what, key, clientId, reason, report = true) {
      counters.count(`${what}.${key}`)
      if (report) o.onRefused?.(what, clientId, reason)
    },
  }
}

