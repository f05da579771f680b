/**
 * Acknowledgements in order, per MQTT client, and decoder state that follows them (MQTT 3.1.1 §4.6: PUBACKs in the
 * order the PUBLISHes were received).
 *
 * Messages of one client are processed together (a zigbee2mqtt bridge flushing its queue sends dozens back to back),
 * and one that writes nothing (a state report with no new event) would otherwise be acknowledged before an earlier one
 * whose commit is still to come. If that earlier one then fails, its client is dropped and resends everything it had
 * no PUBACK for, which no longer includes the later message; and a decoder state moved on by the later message would
 * make the resend read as "no change": the edge, an alarm, would be lost.
 *
 * So here a message's outcome waits for the previous message's of the same client; once one fails, every message of
 * that client read before the failure fails too (all are resent, in order), and each device's decoder state goes back
 * to what it was before the first of them, which is exactly the state after the last message acknowledged. If another
 * client moved that device's state since (a device moved to another bridge while a message was in flight), the state
 * is forgotten instead: read from nothing, the next report raises whatever condition is active again (a duplicate,
 * never a lost alarm). A message whose events were stored but whose sync failed is read again as new: a duplicate
 * event in a storage failure, never a lost one.
 */
export interface ClientSlot {
  /** This message moved `deviceId`'s decoder state from `before` to `after` (call at once, when it is read). */
  moved(deviceId: string, before: unknown, after: unknown): void
}

interface Moved {
  readonly deviceId: string
  readonly before: unknown
  readonly after: unknown
}

/** One client's messages not yet released, in read order; `failure` once one of them failed. */
interface Client {
  readonly key: string
  readonly queue: Slot[]
  failure: { readonly error: unknown } | null
}

/**
 * One message: its outcome once its work settles, released (its promise settled) only at the head of its client's
 * queue. A class, not closures: this runs for every message at tens of thousands a second.
 */
class Slot implements ClientSlot {
  done = false
  ok = false
  value: unknown = undefined
  moves: Moved[] | null = null
  resolve: ((v: unknown) => void) | null = null
  reject: ((e: unknown) => void) | null = null
  constructor(readonly client: Client, readonly order: ClientOrder) {}

  moved(deviceId: string, before: unknown, after: unknown): void {
    ;(this.moves ??= []).push({ deviceId, before, after })
  }

  /** The message's outcome, in the client's order. */
  settle<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.resolve = resolve as (v: unknown) => void
      this.reject = reject
      work.then(
        (v) => this.finish(true, v),
        (e: unknown) => this.finish(false, e),
      )
    })
  }

  private finish(ok: boolean, value: unknown): void {
    this.done = true
    this.ok = ok
    this.value = value
    this.order.release(this.client)
  }
}

class ClientOrder {
  readonly clients = new Map<string, Client>()
  constructor(private readonly states: Map<string, unknown>) {}

  /** Messages read and not yet released, failed sequences included (for tests: 0 once everything has settled). */
  pending = 0

  enter(clientKey: string): Slot {
    let c = this.clients.get(clientKey)
    if (!c) this.clients.set(clientKey, (c = { key: clientKey, queue: [], failure: null }))
    const slot = new Slot(c, this)
    c.queue.push(slot)
    this.pending++
    return slot
  }

  /** Settle every message at the head of the queue whose work has settled, in order. */
  release(c: Client): void {
    while (c.queue.length > 0 && c.queue[0]!.done) {
      const slot = c.queue.shift()!
      this.pending--
      if (!slot.ok && !c.failure) {
        // The first failure puts every device back as before the client's oldest unacknowledged message (this one);
        // the client's later messages, read before it, fail with it. Messages read from now on (the client's
        // resends) start a fresh sequence.
        c.failure = { error: slot.value }
        this.putBack([slot, ...c.queue])
        if (this.clients.get(c.key) === c) this.clients.delete(c.key)
      }
      // A later message fails with its own error if it had one, else with the first failure's (only the message text
      // reaches the broker, which drops the client either way).
      if (slot.ok && !c.failure) slot.resolve!(slot.value)
      else slot.reject!(slot.ok ? c.failure!.error : slot.value)
    }
    if (c.queue.length === 0 && this.clients.get(c.key) === c) this.clients.delete(c.key)
  }

  /** Each device moved by these messages back as before the first of them moved it, unless another client moved it since. */
  private putBack(slots: readonly Slot[]): void {
    const first = new Map<string, Moved>()
    const last = new Map<string, Moved>()
    for (const s of slots) {
      for (const m of s.moves ?? []) {
        if (!first.has(m.deviceId)) first.set(m.deviceId, m)
        last.set(m.deviceId, m)
      }
    }
    for (const [deviceId, m] of first) {
      if (this.states.get(deviceId) === last.get(deviceId)!.after) this.states.set(deviceId, m.before)
      else this.states.delete(deviceId)
    }
  }
}

/** `states`: each device's decoder state, which messages move as they are read and failures put back. */
export function createClientOrder(states: Map<string, unknown>) {
  const order = new ClientOrder(states)
  return {
    /**
     * One message of `clientKey`, as it is read: `work` runs at once (up to its first await, where it records the
     * decoder states it moved), and its outcome is released in the client's order. One call, so that no message can be
     * entered without its work and hold its client's queue for ever.
     */
    run<T>(clientKey: string, work: (slot: ClientSlot) => Promise<T>): Promise<T> {
      const slot = order.enter(clientKey)
      return slot.settle(work(slot))
    },
    /** Clients with messages in flight (for tests: 0 once everything has settled). */
    get size(): number {
      return order.clients.size
    },
    /** Messages not yet released, failed sequences included (for tests: 0 once everything has settled). */
    get pending(): number {
      return order.pending
    },
  }
}
