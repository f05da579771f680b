import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Alert, Notification } from '../core/alert.js'
import { createEffects } from '../core/effects.js'
import type { Page, PagerDriver } from '../core/pager.js'
import { createUnstoredRouting, UNSTORED_REPEAT_MS } from './unstored-routing.js'

const T0 = Date.UTC(2026, 10, 28, 3, 0, 0)

function world() {
  let now = T0
  const radio: Page[] = []
  const shown: string[] = []
  const outages: Record<string, unknown>[] = []
  const driver: PagerDriver = { send: async (p) => { radio.push(p); return { ok: true } }, health: () => 'up', close: async () => undefined }
  const routing = createUnstoredRouting({
    log: pino({ level: 'silent' }), now: () => now, driverFor: (id) => (id === 'espa-1' ? driver : undefined), addressOf: (id) => (id === 'espa-1' ? '123' : null),
    show: (a, n) => shown.push(`${a.id}:${n.userId}`), recordOutage: async (d) => void outages.push(d),
  })
  return { routing, radio, shown, outages, advance: (ms: number) => (now += ms) }
}

const alert = (id: string, personId = 'p-002'): Alert => ({ id, personId, deviceId: 'sz-r14', ruleId: 'seizure', alertClass: 'SEIZURE', priority: 'high' } as Alert)
const note = (id: string, userId: string, pagerId: string, protocol: 'soft' | 'espa'): Notification => ({ id, userId, pagerId, protocol, text: 'R14 SEIZURE' } as Notification)
const fxOf = (...pages: [Alert, Notification][]) => {
  const fx = createEffects()
  for (const [a, n] of pages) fx.pages.push({ alert: a, notification: n })
  return fx
}
const tick = () => new Promise((r) => setImmediate(r))

describe('paging while the store refuses writes', () => {
  it('sends radio pages through the line driver and soft pages to the screens, and reports failing until a commit', async () => {
    const w = world()
    expect(w.routing.failing).toBe(false)
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-bob', 'espa-1', 'espa')], [alert('al-1'), note('nt-2', 'c-amy', 'soft-amy', 'soft')]), new Error('database or disk is full'))
    await tick()
    expect(w.radio).toEqual([{ notificationId: 'nt-1', alertId: 'al-1', pagerId: 'espa-1', userId: 'c-bob', address: '123', text: 'R14 SEIZURE', priority: 'high' }])
    expect(w.shown).toEqual(['al-1:c-amy'])
    expect(w.routing.failing).toBe(true)
    w.advance(30_000)
    w.routing.committed()
    await tick()
    expect(w.routing.failing).toBe(false)
    expect(w.outages).toEqual([{ cause: 'write_refused', error: 'database or disk is full', since: new Date(T0).toISOString(), recovered_at: new Date(T0 + 30_000).toISOString(), refused_groups: 1, unstored_pages: 2 }])
    w.routing.committed()
    expect(w.outages).toHaveLength(1) // recorded once per outage
  })

  it.each([
    { name: 'the same alarm resent by its device (a new alert id each time)', second: [alert('al-2'), note('nt-9', 'c-amy', 'soft-amy', 'soft')] as [Alert, Notification], after: 1_000, paged: 1 },
    { name: 'the same alarm after the repeat window', second: [alert('al-2'), note('nt-9', 'c-amy', 'soft-amy', 'soft')] as [Alert, Notification], after: UNSTORED_REPEAT_MS, paged: 2 },
    { name: 'another person\'s alarm', second: [alert('al-3', 'p-001'), note('nt-9', 'c-amy', 'soft-amy', 'soft')] as [Alert, Notification], after: 1_000, paged: 2 },
    { name: 'the same alarm for another carer', second: [alert('al-2'), note('nt-9', 'c-bob', 'soft-bob', 'soft')] as [Alert, Notification], after: 1_000, paged: 2 },
  ])('$name: pages $paged time(s)', ({ second, after, paged }) => {
    const w = world()
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    w.advance(after)
    w.routing.refused(fxOf(second), new Error('full'))
    expect(w.shown).toHaveLength(paged)
  })

  it('a page with no driver for its pager is logged, and the rest still go out', () => {
    const w = world()
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-bob', 'tap-9', 'espa')], [alert('al-1'), note('nt-2', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    expect(w.shown).toEqual(['al-1:c-amy'])
  })
})
