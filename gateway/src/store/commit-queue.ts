import type { LaneOptions } from '../core/contracts.js'

export type { LaneOptions }

/**
 * The group committer's waiting work, in two lanes. Urgent work goes ahead of everything else unless earlier work
 * with the same key is still waiting, in which case it waits in order behind it like any other work.
 */
export class CommitQueue<T extends { readonly key?: string | undefined }> {
  private urgent: T[] = []
  private rest: T[] = []

  push(item: T, urgent: boolean): void {
    // Urgent work is rare (an alarm that pages): looking through the rest for its key then costs less than keeping an
    // index of every routine event's key.
    if (urgent && (item.key === undefined || !this.rest.some((x) => x.key === item.key))) this.urgent.push(item)
    else this.rest.push(item)
  }

  /** Everything waiting, urgent lane first; the queue is empty afterwards. */
  take(): { urgent: T[]; rest: T[] } {
    const taken = { urgent: this.urgent, rest: this.rest }
    this.urgent = []
    this.rest = []
    return taken
  }

  /** Work taken but not committed (the write lock was held elsewhere) goes back ahead of what came since, in order. */
  requeue(urgent: readonly T[], rest: readonly T[]): void {
    this.urgent = [...urgent, ...this.urgent]
    this.rest = [...rest, ...this.rest]
  }

  get size(): number {
    return this.urgent.length + this.rest.length
  }
}
