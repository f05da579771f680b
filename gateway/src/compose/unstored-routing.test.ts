import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Alert, Notification } from '../core/alert.js'
import { createEffects } from '../core/effects.js'
import type { Page, PagerDriver, SendResult } from '../core/pager.js'
import { lockedElsewhere } from '../store/group-commit.js'
import { createUnstoredRouting, RECOVERY_QUIET_MS, UNSTORED_REPEAT_MS } from './unstored-routing.js'

const T0 = Date.UTC(2026, 10, 28, 3, 0, 0)
const note = (id: string, userId: string, pagerId: string, protocol: 'soft' | 'espa'): Notification => ({ id, userId, pagerId, protocol, text: 'R14 SEIZURE' } as Notification)

/** A team leader on the radio pager is the ladder's second step of every alarm. */
function world(opts: { radio?: () => SendResult; screensOpen?: Set<string> } = {}) {
  let now = T0
  const radio: Page[] = []
  const shown: string[] = []
  const tried: string[] = []
  const outages: Record<string, unknown>[] = []
  const storageAlarms: string[] = []
  let resyncs = 0
  let recordFails = 0
  const driver: PagerDriver = { send: async (p) => { radio.push(p); return opts.radio?.() ?? { ok: true } }, health: () => 'up', close: async () => undefined }
  const screensOpen = opts.screensOpen ?? new Set(['c-amy', 'c-bob'])
  const routing = createUnstoredRouting({
    log: pino({ level: 'silent' }), now: () => now, driverFor: (id) => (id === 'espa-1' ? driver : undefined), addressOf: (id) => (id === 'espa-1' ? '123' : null),
    everyStep: (a) => [note(`nt-${a.id}-1`, 'c-amy', 'soft-amy', 'soft'), note(`nt-${a.id}-2`, 'tl-kim', 'espa-1', 'espa')],
    show: (a, n) => {
      tried.push(`${a.id}:${n.userId}`)
      return screensOpen.has(n.userId) ? (shown.push(`${a.id}:${n.userId}`), 1) : 0
    },
    raiseStorageFailing: (m) => void storageAlarms.push(m),
    recovered: () => void resyncs++,
    recordOutage: async (d) => {
      if (recordFails > 0) {
        recordFails--
        throw new Error('still refused')
      }
      outages.push(d)
    },
  })
  return { routing, radio, shown, tried, outages, storageAlarms, resyncs: () => resyncs, advance: (ms: number) => (now += ms), failRecords: (n: number) => (recordFails = n) }
}

const alert = (id: string, over: Partial<Alert> = {}): Alert => ({ id, siteId: 'oak-house', personId: 'p-002', subject: null, deviceId: 'sz-r14', ruleId: 'seizure', alertClass: 'SEIZURE', priority: 'high', ...over } as Alert)
const fxOf = (...pages: [Alert, Notification][]) => {
  const fx = createEffects()
  for (const [a, n] of pages) fx.pages.push({ alert: a, notification: n })
  return fx
}
const tick = () => new Promise((r) => setImmediate(r))

describe('paging while the store refuses writes', () => {
  it('pages every ladder step at once (radio through its driver, soft on screens), raises STORAGE FAILING once, and records the outage after a quiet period', async () => {
    const w = world()
    expect(w.routing.failing).toBe(false)
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-amy', 'soft-amy', 'soft')]), new Error('database or disk is full'))
    await tick()
    expect(w.shown).toEqual(['al-1:c-amy']) // step 1, planned by the refused work; the ladder's copy of it is not sent twice
    expect(w.radio).toEqual([{ notificationId: 'nt-al-1-2', alertId: 'al-1', pagerId: 'espa-1', userId: 'tl-kim', address: '123', text: 'R14 SEIZURE', priority: 'high' }])
    expect(w.storageAlarms).toEqual(['database or disk is full'])
    expect(w.routing.failing).toBe(true)
    w.routing.refused(fxOf(), new Error('database or disk is full'))
    expect(w.storageAlarms).toHaveLength(1)
    w.advance(RECOVERY_QUIET_MS - 1)
    w.routing.committed() // a small commit that fits: not yet over
    expect(w.routing.failing).toBe(true)
    expect(w.resyncs()).toBe(0)
    w.advance(1)
    w.routing.committed()
    await tick()
    expect(w.routing.failing).toBe(false)
    expect(w.resyncs()).toBe(1) // screens drop the unrecorded cards
    expect(w.outages).toEqual([{ cause: 'write_refused', error: 'database or disk is full', since: new Date(T0).toISOString(), last_refused_at: new Date(T0).toISOString(), recovered_at: new Date(T0 + RECOVERY_QUIET_MS).toISOString(), refused_groups: 2, unstored_pages: 2 }])
    w.routing.committed()
    await tick()
    expect(w.outages).toHaveLength(1) // once per outage
  })

  it('keeps trying to record the outage until the store takes it', async () => {
    const w = world()
    w.failRecords(2)
    w.routing.refused(fxOf(), new Error('full'))
    w.advance(RECOVERY_QUIET_MS)
    for (let i = 0; i < 3; i++) {
      w.routing.committed()
      await tick()
    }
    expect(w.outages).toHaveLength(1)
  })

  it.each([
    { name: 'the same alarm resent by its device (a new alert id each time)', second: alert('al-2'), after: 1_000, paged: 1 },
    { name: 'the same alarm after the repeat window', second: alert('al-2'), after: UNSTORED_REPEAT_MS, paged: 2 },
    { name: 'another person\'s alarm', second: alert('al-3', { personId: 'p-001' }), after: 1_000, paged: 2 },
    { name: 'the same technical alarm at another site', second: alert('al-4', { siteId: 'elm-court' }), after: 1_000, paged: 2 },
    { name: 'a line-down alarm for another line (same rule, another subject)', second: alert('al-5', { subject: 'LINE espa-2' }), after: 1_000, paged: 2 },
  ])('$name: the carer is paged $paged time(s)', ({ second, after, paged }) => {
    const w = world()
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    w.advance(after)
    w.routing.refused(fxOf([second, note('nt-9', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    expect(w.shown.filter((s) => s.endsWith(':c-amy'))).toHaveLength(paged)
  })

  it('shows a device\'s resends of one alarm as that one alarm (the first alert id), so a board lists it once', async () => {
    // Kim's radio line refuses: her page is tried again with every resend, as the first alert.
    const w = world({ radio: () => ({ ok: false, retryable: true, error: 'line down' }) })
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    await tick()
    w.advance(1_000)
    w.routing.refused(fxOf([alert('al-2'), note('nt-2', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    expect(w.tried).toEqual(['al-1:c-amy'])
    expect(w.radio.map((p) => p.alertId)).toEqual(['al-1', 'al-1'])
  })

  it.each([
    { name: 'a radio page the line refused', opts: { radio: (): SendResult => ({ ok: false, retryable: true, error: 'line down' }) }, count: (w: ReturnType<typeof world>) => w.radio.length },
    { name: 'a soft page with no screen open', opts: { screensOpen: new Set<string>() }, count: (w: ReturnType<typeof world>) => w.tried.length },
  ])('$name is tried again when the device resends, not held back by the repeat window', async ({ opts, count }) => {
    const w = world(opts)
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    await tick()
    const before = count(w)
    w.advance(1_000)
    w.routing.refused(fxOf([alert('al-2'), note('nt-2', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    await tick()
    expect(before).toBeGreaterThan(0)
    expect(count(w)).toBe(2 * before)
  })

  it('a stored alert of the condition ends its repeat window: a new alarm of it in a later refusal or lock is paged', async () => {
    const w = world()
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    await tick()
    // The resent alarm committed, stored and paged as usual (then accepted and closed).
    w.advance(1_000)
    w.routing.committed(fxOf([alert('al-stored'), note('nt-s', 'c-amy', 'soft-amy', 'soft')]))
    // A minute later, a new seizure while the store refuses again: a new incident, paged at once.
    w.advance(60_000)
    w.routing.refused(fxOf([alert('al-3'), note('nt-3', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    await tick()
    expect(w.shown).toEqual(['al-1:c-amy', 'al-3:c-amy'])
    expect(w.radio.map((p) => p.alertId)).toEqual(['al-1', 'al-3'])
  })

  it('the repeat window does not outlast the outage it belongs to', async () => {
    const w = world()
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    await tick()
    w.advance(RECOVERY_QUIET_MS)
    w.routing.committed()
    expect(w.routing.failing).toBe(false)
    w.advance(1_000)
    w.routing.refused(fxOf([alert('al-2'), note('nt-2', 'c-amy', 'soft-amy', 'soft')]), new Error('full'))
    await tick()
    expect(w.shown).toEqual(['al-1:c-amy', 'al-2:c-amy'])
  })

  it('another process\'s lock: STORAGE FAILING is raised with the lock\'s error, and the outage is recorded as locked', async () => {
    const raised: unknown[] = []
    const w = world()
    const lock = Object.assign(new Error('database is locked by another process (for 555 ms)'), { code: 'SQLITE_BUSY', lockedElsewhere: true })
    expect(lockedElsewhere(lock)).toBe(true)
    expect(lockedElsewhere(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe(false)
    const routing = createUnstoredRouting({
      log: pino({ level: 'silent' }), now: () => T0, driverFor: () => undefined, addressOf: () => null, everyStep: () => [], show: () => 1,
      raiseStorageFailing: (_m, err) => void raised.push(err), recovered: () => undefined, recordOutage: async () => undefined,
    })
    routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-amy', 'soft-amy', 'soft')]), lock)
    expect(raised).toEqual([lock])
    w.routing.refused(fxOf([alert('al-1'), note('nt-1', 'c-amy', 'soft-amy', 'soft')]), lock)
    w.advance(RECOVERY_QUIET_MS)
    w.routing.committed()
    await tick()
    expect(w.outages).toEqual([expect.objectContaining({ cause: 'locked', error: 'database is locked by another process (for 555 ms)' })])
  })
})
