import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, publishEvent } from '../helpers/clients.js'
import { launchChromium } from '../helpers/browser.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'

const artifacts = join(repoRoot, 'test-artifacts')

/** The real pages in real Chromium: an alert arrives without reload, Accept on the pager shows on the board. */
describe('soft pager and board in a real browser', () => {
  let gw: GatewayProcess
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    gw = await startGatewayProcess()
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await gw?.kill('SIGTERM')
  })

  it('shows a seizure alert live on the phone-sized pager and the board, and Accept updates both', async () => {
    const base = `http://127.0.0.1:${gw.httpPort}`
    const pager = await browser.newPage({ viewport: { width: 360, height: 740 } })
    const errors: string[] = []
    pager.on('pageerror', (e) => errors.push(e.message))
    await pager.goto(`${base}/pager#token=${gw.credentials.users['c-bob']}`)
    await pager.waitForSelector('#connection[data-connected="true"]')
    // The token left the address bar as soon as the page took it.
    expect(pager.url()).toBe(`${base}/pager`)
    const board = await browser.newPage({ viewport: { width: 1280, height: 720 } })
    await board.goto(`${base}/board#token=${gw.credentials.users['tl-kim']}`)
    await board.waitForSelector('#connection[data-connected="true"]')

    const monitor = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
    await monitor.endAsync()

    const card = pager.locator('[data-alert-id][data-state="active"]')
    await card.waitFor()
    const text = await card.innerText()
    expect(text).toContain('R14')
    expect(text).toContain('SEIZURE')
    expect(text).not.toContain('p-002')
    await pager.screenshot({ path: join(artifacts, 'soft-pager-alert.png') })
    await board.locator('[data-alert-id][data-state="active"]').waitFor()

    await card.locator('[data-action="accept"]').click()
    await pager.locator('[data-alert-id][data-state="acknowledged"]').waitFor()
    const row = board.locator('[data-alert-id][data-state="acknowledged"]')
    await row.waitFor()
    expect(await row.innerText()).toContain('Bob')
    await board.screenshot({ path: join(artifacts, 'board-acknowledged.png') })

    const alerts = await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/alerts')
    expect(alerts.body.alerts[0]).toMatchObject({ state: 'acknowledged', accepted_by: { id: 'c-bob' } })
    // The page confirmed the page was on screen before Bob accepted it.
    const t = await api(gw.httpPort, gw.credentials.users['tl-kim']!, `/api/audit?alert=${alerts.body.alerts[0].id}`)
    expect(t.body.timeline.map((r: { detail: { to?: string } }) => r.detail.to)).toEqual(expect.arrayContaining(['delivered', 'accepted']))
    expect(errors).toEqual([])
  })

  it('refuses a bad token and shows the sign-in form without retrying', async () => {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${gw.httpPort}/pager#token=c-bob.wrong-secret`)
    await page.waitForSelector('#token-form:not([hidden])')
    expect(await page.locator('#token-message').innerText()).toContain('refused')
  })
})
