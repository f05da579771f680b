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
  /** The message's outcome, in the client's order. */
  settle<T>(work: Promise<T>): Promise<T>
}

interface Client {
  /** The outcome of the client's last message read. */
  last: Promise<unknown>
  /** Decoder states moved by its messages not yet acknowledged, in read order. */
  readonly moved: Moved[]
}

interface Moved {
  readonly deviceId: string
  readonly before: unknown
  readonly after: unknown
}

/** `states`: each device's decoder state, which messages move as they are read and failures put back. */
export function createClientOrder(states: Map<string, unknown>) {
  const clients = new Map<string, Client>()
  /** Put each device moved by a failed client's unacknowledged messages back as the last acknowledged one left it. */
  function putBack(moved: readonly Moved[]): void {
    const first = new Map<string, Moved>()
    const last = new Map<string, Moved>()
    for (const e of moved) {
      if (!first.has(e.deviceId)) first.set(e.deviceId, e)
      last.set(e.deviceId, e)
    }
    for (const [deviceId, e] of first) {
      if (states.get(deviceId) === last.get(deviceId)!.after) states.set(deviceId, e.before)
      else states.delete(deviceId)
    }
  }
  return {
    /** Clients with messages in flight (for tests: 0 once everything has settled). */
    get size(): number {
      return clients.size
    },
    /** Call when a message of `clientKey` is read, before anything of it runs. */
    enter(clientKey: string): ClientSlot {
      let c = clients.get(clientKey)
      if (!c) clients.set(clientKey, (c = { last: Promise.resolve(), moved: [] }))
      const client = c
      const prev = client.last
      const mine: Moved[] = []
      return {
        moved(deviceId, before, after) {
          const entry = { deviceId, before, after }
          mine.push(entry)
          client.moved.push(entry)
        },
        settle<T>(work: Promise<T>): Promise<T> {
          const outcome = (async () => {
            let value: T
            try {
              value = await work
            } finally {
              // Even when this one failed: its outcome is not known to the device before the earlier ones'.
              await prev
            }
            return value
          })()
          client.last = outcome
          return outcome.then(
            (value) => {
              for (const e of mine) {
                const i = client.moved.indexOf(e)
                if (i >= 0) client.moved.splice(i, 1)
              }
              if (clients.get(clientKey) === client && client.last === outcome) clients.delete(clientKey)
              return value
            },
            (err: unknown) => {
              // The first failure puts every device back as before the client's oldest unacknowledged message; the
              // client's later messages fail with it (they wait on this one) and find nothing left to put back.
              putBack(client.moved.splice(0))
              // Messages read from now on (the client's resends) start a fresh sequence.
              if (clients.get(clientKey) === client) clients.delete(clientKey)
              throw err
            },
          )
        },
      }
    },
  }
}
