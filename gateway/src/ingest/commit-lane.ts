import type { LaneOptions } from '../core/contracts.js'

/** `bindRules(…).urgent`: event type → device → the conditions of the high-priority `immediate` rules raising on it. */
export type UrgentRules = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>

/**
 * Where an event goes in the group commit (store/commit-queue.ts): keyed by the person it is about (rule state is per
 * person), and urgent when a high-priority `immediate` rule raises on it and that alert is not already open, so it
 * will page someone. `isOpen` reads the store outside any transaction: it only decides the order. A read that fails
 * (a failing disk) counts as "not open": the alarm goes first rather than wait.
 */
export function commitLane(urgent: UrgentRules, isOpen: (conditionKey: string) => boolean, deviceId: string, personId: string, type: string): LaneOptions {
  const conditions = urgent.get(type)?.get(deviceId)
  if (!conditions) return { key: personId }
  try {
    return { key: personId, urgent: conditions.some((c) => !isOpen(c)) }
  } catch {
    return { key: personId, urgent: true }
  }
}
