import type { Summary } from './stats.js'

/** One share of a load mix: `weight` parts of the events are `type`, sent by devices whose id starts with `prefix`. */
export interface MixEntry { readonly prefix: string; readonly type: string; readonly weight: number }

/** Messages from the bench runner to a fleet worker (simulators/bench/fleet-worker.ts). */
export type FleetCommand =
  | { cmd: 'connect'; tag: string; port: number; site: string; devices: { id: string; password: string }[]; addrOffset: number; concurrency: number; will?: boolean }
  /** rate > 0: open loop at that many events/s (at most `maxInflight` outstanding); rate 0: closed loop with `window` outstanding. */
  | { cmd: 'load'; label: string; rate: number; window: number; maxInflight: number; durationMs: number; drainMs: number; mix: MixEntry[] }
  | { cmd: 'heartbeat'; intervalMs: number; durationMs: number }
  | { cmd: 'close' }

export interface LoadResult {
  readonly sent: number
  readonly acked: number
  readonly failed: number
  /** Still without PUBACK when the drain time ran out. */
  readonly unacked: number
  readonly elapsedMs: number
  readonly offeredPerSecond: number
  /** Every PUBACK over the whole run, the drain after sending included: the tail of in-flight events counts as time. */
  readonly ackedPerSecond: number
  /**
   * PUBACKs per second while sending, from a fifth into the window to its end. A gateway that keeps up acknowledges at
   * the offered rate here; one that cannot, at its own rate (the backlog grows meanwhile).
   */
  readonly steadyAckedPerSecond: number
  readonly maxInflight: number
  /** Publish → PUBACK, ms. */
  readonly ackMs: Summary
  /** Every event id of this load starts with this. */
  readonly eventPrefix: string
}

export type FleetReply =
  | { kind: 'connected'; connected: number; failed: number; ms: number; errors: Record<string, number> }
  | { kind: 'loaded'; result: LoadResult }
  | { kind: 'heartbeat-done'; sent: number; failed: number }
  | { kind: 'ok' }
  | { kind: 'error'; message: string }
