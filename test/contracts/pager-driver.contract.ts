import { afterEach, expect, it } from 'vitest'
import type { DriverDeps, Page, PagerDriver } from '../../pager-bridge/src/define.js'

/** What a driver under contract test is wired to. */
export interface DriverHarness {
  readonly driver: PagerDriver
  /** Make the far end refuse the next page (NAK every block / bad pager). */
  refuseNext(): void
  /** Make the far end vanish (unplugged cable, dead device server). */
  dropLink(): Promise<void>
  /** Pages the far end has accepted, as text. */
  received(): string[]
  cleanup(): Promise<void>
  readonly health: string[]
}

export const contractPage: Page = { notificationId: 'nt-1', alertId: 'al-1', pagerId: 'p-1', userId: 'c-amy', address: '1234', text: 'R14 SEIZURE', priority: 'high' }

/** Deps that record what the driver reports. */
export function recordingDeps(lineId: string, openPort: DriverDeps['openPort']): DriverDeps & { health: string[]; reports: string[] } {
  const health: string[] = []
  const reports: string[] = []
  return {
    lineId, openPort, health, reports,
    log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    report: (nid, event) => void reports.push(`${nid}:${event}`),
    lineHealth: (state) => void health.push(state),
    frame: () => undefined,
  }
}

/**
 * Every pager driver passes this (aedes-persistence `abstract.js` style): it sends; a page the far end
 * refuses is a failure, never a success; a dropped link is a failure and the line reports `down`
 * (non-retryable by design: the dispatcher fails over to the pager's fallback at once rather than retry
 * a dead line); it closes cleanly. Drivers never retry a page themselves beyond the protocol's own
 * link-level retransmission (ESPA NAK resend, TAP N2).
 */
export function pagerDriverContract(build: () => Promise<DriverHarness>): void {
  let h: DriverHarness | null = null
  afterEach(async () => {
    await h?.cleanup()
    h = null
  })

  it('sends a page the far end accepts', async () => {
    h = await build()
    expect(await h.driver.send(contractPage)).toEqual({ ok: true })
    expect(h.received()).toContain('R14 SEIZURE')
  })

  it('reports a page the far end refuses as a failure', async () => {
    h = await build()
    h.refuseNext()
    const r = await h.driver.send(contractPage)
    expect(r.ok).toBe(false)
  })

  it('reports a dropped link as a failure and the line as down', async () => {
    h = await build()
    expect((await h.driver.send(contractPage)).ok).toBe(true)
    await h.dropLink()
    const deadline = Date.now() + 10_000
    let r = await h.driver.send({ ...contractPage, notificationId: 'nt-2' })
    while (r.ok && Date.now() < deadline) r = await h.driver.send({ ...contractPage, notificationId: 'nt-3' })
    expect(r.ok).toBe(false)
    expect(h.driver.health()).toBe('down')
    expect(h.health).toContain('down')
  })

  it('closes cleanly', async () => {
    h = await build()
    await h.driver.close()
    await h.driver.close()
  })
}
