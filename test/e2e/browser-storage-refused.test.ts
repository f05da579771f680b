import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNoAxeViolations } from '../helpers/axe.js'
import { launchChromium } from '../helpers/browser.js'
import { eventId, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'
import { acked, connectResendingDevice, limitFileSize, refuseWrites } from '../helpers/storage-refusal.js'

const artifacts = join(repoRoot, 'test-artifacts')

/**
 * The carer's and the team leader's screens while the store refuses writes (README, "Storage refusing writes"), in
 * real Chromium: the alarm is on the pager and the board marked "Not recorded", with nothing offered that cannot work;
 * once the store recovers, the stored alarm replaces it and can be accepted.
 */
describe('screens while the store refuses writes, in a real browser', () => {
  let gw: GatewayProcess
  let browser: Browser
  let monitor: MqttClient
  let bed: MqttClient
  let pager: Page
  let board: Page
  let alarm: Promise<unknown>
  const errors: string[] = []

  async function open(user: string, path: string, viewport: { width: number; height: number }): Promise<Page> {
    const page = await (await browser.newContext({ viewport })).newPage()
    page.on('pageerror', (e) => errors.push(`${user} ${path}: ${e.message}`))
    await page.goto(`http://127.0.0.1:${gw.httpPort}${path}#token=${gw.credentials.users[user]!}`)
    await page.locator('#connection[data-connected="true"]').waitFor()
    return page
  }

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    gw = await startGatewayProcess()
    browser = await launchChromium()
    pager = await open('c-bob', '/pager', { width: 360, height: 740 })
    board = await open('tl-kim', '/board', { width: 1920, height: 1080 })
    monitor = await connectResendingDevice(gw, 'sz-r14')
    const refusal = await refuseWrites(gw)
    bed = refusal.bed
    expect(refusal.refused, 'the store never refused a write').toBe(true)
    alarm = publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm', event_id: eventId('alarm') })
  }, 60_000)

  afterAll(async () => {
    bed?.end(true)
    monitor?.end(true)
    await browser?.close()
    expect(await gw.kill('SIGTERM')).toBe(0)
  })

  it('shows the carer the alarm as not recorded, with no Accept or Decline, and the board says why', async () => {
    const card = pager.locator('[data-alert-id][data-priority="high"]', { hasText: 'R14' })
    await card.waitFor()
    const text = await card.innerText()
    for (const part of ['R14', 'SEIZURE', 'High priority', 'Not recorded: the gateway cannot store alerts right now. Go now; it will page again once it can.']) expect(text).toContain(part)
    expect(await card.locator('[data-action="accept"]').isVisible()).toBe(false)
    expect(await card.locator('[data-action="decline"]').isVisible()).toBe(false)
    await pager.screenshot({ path: join(artifacts, 'pager-360-not-recorded.png') })
    await expectNoAxeViolations(pager, 'pager with an alert that could not be recorded')
    const row = board.locator('#open-alerts tr', { hasText: 'R14' })
    await row.waitFor()
    expect(await row.locator('td.state').innerText()).toBe('Not recorded: storage failing')
    await board.locator('#open-alerts tr', { hasText: 'STORAGE FAILING' }).first().waitFor()
    await board.screenshot({ path: join(artifacts, 'board-1920-storage-failing.png') })
    expect(errors).toEqual([])
  })

  it('once the store recovers, the stored alarm replaces it and can be accepted', async () => {
    limitFileSize(gw, 'unlimited')
    const lifted = Date.now()
    expect(await acked(alarm, 20_000)).toBe(true)
    // The outage ends after 15 s without a refusal, at the next commit: then every screen gets its whole state again.
    await new Promise((r) => setTimeout(r, Math.max(0, lifted + 16_000 - Date.now())))
    await publishEvent(monitor, 'sz-r14', { type: 'heartbeat' })
    await pager.waitForFunction(() => !document.body.innerText.includes('Not recorded'), undefined, { timeout: 20_000 })
    const cards = pager.locator('[data-alert-id][data-priority="high"]', { hasText: 'R14' })
    expect(await cards.count()).toBe(1)
    await cards.locator('[data-action="accept"]').click()
    await pager.locator('[data-alert-id][data-state="acknowledged"]', { hasText: 'R14' }).waitFor()
    expect(errors).toEqual([])
  }, 60_000)
})
