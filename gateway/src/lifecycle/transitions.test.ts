import { describe, expect, it } from 'vitest'
import { type AlertState, alertStates, type NotificationState, notificationStates } from '../core/alert.js'
import { GatewayError } from '../core/errors.js'
import {
  type AlertEvent, alertTransitions, nextAlertState, nextNotificationState, type NotificationEvent, notificationTransitions, openAlertStates,
} from './transitions.js'

// Every event of each union, listed at run time; the type assertions below fail to compile if one is missing.
const alertEvents = ['activate', 'escalate', 'accept', 'resolve', 'cancel', 'close'] as const satisfies readonly AlertEvent[]
const notificationEvents = ['send', 'deliver', 'read', 'accept', 'reject', 'fail', 'undeliverable', 'expire', 'cancel'] as const satisfies readonly NotificationEvent[]
type Exhaustive<T> = [T] extends [never] ? true : false
const allAlertEventsListed: Exhaustive<Exclude<AlertEvent, (typeof alertEvents)[number]>> = true
const allNotificationEventsListed: Exhaustive<Exclude<NotificationEvent, (typeof notificationEvents)[number]>> = true

/** The full product state × event, each with what the table says (undefined = refused). */
function pairs<S extends string, E extends string>(states: readonly S[], events: readonly E[], table: Readonly<Record<S, Partial<Record<E, S>>>>) {
  return states.flatMap((from) => events.map((event) => ({ from, event, to: table[from][event] })))
}

const alertPairs = pairs<AlertState, AlertEvent>(alertStates, alertEvents, alertTransitions)
const notificationPairs = pairs<NotificationState, NotificationEvent>(notificationStates, notificationEvents, notificationTransitions)

function thrown(run: () => unknown): unknown {
  try {
    run()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

describe('alert transitions', () => {
  it('the tables name only known states and events', () => {
    expect(allAlertEventsListed && allNotificationEventsListed).toBe(true)
    expect(Object.keys(alertTransitions).sort()).toEqual([...alertStates].sort())
    for (const row of Object.values(alertTransitions)) {
      for (const [event, to] of Object.entries(row)) {
        expect(alertEvents).toContain(event)
        expect(alertStates).toContain(to)
      }
    }
  })

  it.each(alertPairs.filter((p) => p.to !== undefined))('$from --$event--> $to', ({ from, event, to }) => {
    expect(nextAlertState('al-1', from, event)).toBe(to)
  })

  it.each(alertPairs.filter((p) => p.to === undefined))("$from refuses '$event' with GW_ERR_LIFECYCLE_INVALID_TRANSITION naming the alert, event and state", ({ from, event }) => {
    const err = thrown(() => nextAlertState('al-42', from, event))
    expect(err).toBeInstanceOf(GatewayError)
    expect(err).toMatchObject({ code: 'GW_ERR_LIFECYCLE_INVALID_TRANSITION', category: 'lifecycle', status: 409, details: { id: 'al-42', from, event } })
    expect((err as GatewayError).message).toBe(`alert 'al-42' cannot '${event}' from state '${from}'`)
  })

  it('closed is terminal and every other state can still reach it', () => {
    expect(alertTransitions.closed).toEqual({})
    const reaches = (s: AlertState, seen = new Set<AlertState>()): boolean =>
      s === 'closed' || (!seen.has(s) && (seen.add(s), Object.values(alertTransitions[s]).some((t) => reaches(t!, seen))))
    for (const s of alertStates) expect(reaches(s), s).toBe(true)
  })

  it('the open states are every state but closed: an alert needs someone until it is closed with an outcome', () => {
    expect([...openAlertStates].sort()).toEqual(alertStates.filter((s) => s !== 'closed').sort())
    // and every open state has a way forward
    for (const s of openAlertStates) expect(Object.keys(alertTransitions[s]).length).toBeGreaterThan(0)
  })
})

describe('notification transitions', () => {
  it('the table names only known states and events', () => {
    expect(Object.keys(notificationTransitions).sort()).toEqual([...notificationStates].sort())
    for (const row of Object.values(notificationTransitions)) {
      for (const [event, to] of Object.entries(row)) {
        expect(notificationEvents).toContain(event)
        expect(notificationStates).toContain(to)
      }
    }
  })

  it.each(notificationPairs.filter((p) => p.to !== undefined))('$from --$event--> $to', ({ from, event, to }) => {
    expect(nextNotificationState('nt-1', from, event)).toBe(to)
  })

  it.each(notificationPairs.filter((p) => p.to === undefined))("$from refuses '$event' with GW_ERR_LIFECYCLE_INVALID_TRANSITION naming the notification, event and state", ({ from, event }) => {
    const err = thrown(() => nextNotificationState('nt-7', from, event))
    expect(err).toBeInstanceOf(GatewayError)
    expect(err).toMatchObject({ code: 'GW_ERR_LIFECYCLE_INVALID_TRANSITION', details: { id: 'nt-7', from, event } })
    expect((err as GatewayError).message).toBe(`notification 'nt-7' cannot '${event}' from state '${from}'`)
  })

  it.each(['accepted', 'rejected', 'failed', 'undeliverable', 'expired', 'cancelled'] as const)('%s is terminal', (state) => {
    expect(notificationTransitions[state]).toEqual({})
  })
})
