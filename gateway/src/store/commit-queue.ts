/** What the queue needs of a piece of work: its `LaneOptions.key` (core/contracts.ts), if it has one. */
interface Keyed { readonly key?: string | undefined }

/** Must `urgent` wait behind `earlier`? Work without a key may be about anyone (a command, a configuration change). */
const mustWait = (urgent: Keyed, earlier: Keyed) => earlier.key === undefined || earlier.key === urgent.key

/**
 * The group committer's waiting work (store/group-commit.ts), in two lanes. Urgent work (`LaneOptions.urgent`) goes
 * ahead of everything else unless earlier waiting work may be about the same person: work with its key, or work
 * without a key at all. Then it waits in order behind it like any other work.
 */
export class CommitQueue<T extends Keyed> {
  private urgent: T[] = []
  private rest: T[] = []

  push(item: T, urgent: boolean): void {
    // Urgent work is rare (an alarm that pages): looking through the rest then costs less than indexing every key.
    // Urgent work without a key could be about anyone: it goes with the rest.
    if (urgent && item.key !== undefined && !this.rest.some((x) => mustWait(item, x))) this.urgent.push(item)
    else this.rest.push(item)
  }

  /** Everything waiting, urgent lane first; the queue is empty afterwards. */
  take(): { urgent: T[]; rest: T[] } {
    const taken = { urgent: this.urgent, rest: this.rest }
    this.urgent = []
    this.rest = []
    return taken
  }

  /**
   * Work taken but not committed (the write lock was held elsewhere) goes back ahead of what came since, in order.
   * Urgent work that came since and may not pass the work put back moves behind it, ahead of the rest that came since
   * (which arrived after it, or it would not have been urgent).
   */
  requeue(urgent: readonly T[], rest: readonly T[]): void {
    const since = this.urgent
    const held = since.filter((u) => rest.some((x) => mustWait(u, x)))
    this.urgent = [...urgent, ...since.filter((u) => !held.includes(u))]
    this.rest = [...rest, ...held, ...this.rest]
  }

  /** Everything waiting, in the order it would be committed (the queue is unchanged). */
  waiting(): T[] {
    return [...this.urgent, ...this.rest]
  }

  get size(): number {
    return this.urgent.length + this.rest.length
  }
}
