import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, publishEvent } from '../helpers/clients.js'
import { launchChromium } from '../helpers/browser.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'

const artifacts = join(repoRoot, 'test-artifacts')

/** The real pages in real Chromium: an alert arrives without reload, Accept on the pager shows on the board. */
/** One real gateway process and one Chromium per describe block, started and stopped around it. */
function gatewayAndBrowser(): { readonly gw: GatewayProcess; readonly browser: Browser } {
  const env = {} as { gw: GatewayProcess; browser: Browser }
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    env.gw = await startGatewayProcess()
    env.browser = await launchChromium()
  })
  afterAll(async () => {
    await env.browser?.close()
    await env.gw?.kill('SIGTERM')
  })
  return env
}

describe('soft pager and board in a real browser', () => {
  const env = gatewayAndBrowser()

  it('shows a seizure alert live on the phone-sized pager and the board, and Accept updates both', async () => {
    const base = `http://127.0.0.1:${env.gw.httpPort}`
    const pager = await env.browser.newPage({ viewport: { width: 360, height: 740 } })
    const errors: string[] = []
    pager.on('pageerror', (e) => errors.push(e.message))
    await pager.goto(`${base}/pager#token=${env.gw.credentials.users['c-bob']}`)
    await pager.waitForSelector('#connection[data-connected="true"]')
    // The token left the address bar as soon as the page took it.
    expect(pager.url()).toBe(`${base}/pager`)
    const board = await env.browser.newPage({ viewport: { width: 1280, height: 720 } })
    await board.goto(`${base}/board#token=${env.gw.credentials.users['tl-kim']}`)
    await board.waitForSelector('#connection[data-connected="true"]')

    const monitor = await connectDevice(env.gw.mqttPort, 'sz-r14', env.gw.credentials.devices['sz-r14']!)
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

    const alerts = await api(env.gw.httpPort, env.gw.credentials.users['tl-kim']!, '/api/alerts')
    expect(alerts.body.alerts[0]).toMatchObject({ state: 'acknowledged', accepted_by: { id: 'c-bob' } })
    // The page confirmed the page was on screen before Bob accepted it.
    const t = await api(env.gw.httpPort, env.gw.credentials.users['tl-kim']!, `/api/audit?alert=${alerts.body.alerts[0].id}`)
    expect(t.body.timeline.map((r: { detail: { to?: string } }) => r.detail.to)).toEqual(expect.arrayContaining(['delivered', 'accepted']))
    expect(errors).toEqual([])
  })

  it('refuses a bad token and shows the sign-in form without retrying', async () => {
    const page = await env.browser.newPage()
    await page.goto(`http://127.0.0.1:${env.gw.httpPort}/pager#token=c-bob.wrong-secret`)
    await page.waitForSelector('#token-form:not([hidden])')
    expect(await page.locator('#token-message').innerText()).toContain('refused')
  })
})

/**
 * The close-out flow on its own gateway: the seizure alert above stays acknowledged, and a second alarm
 * for the same condition would only bump that alert's trigger count instead of raising a new one.
 */
describe('closing an alert with an outcome in a real browser', () => {
  const env = gatewayAndBrowser()

  it('Bob accepts, presses Done, must pick an outcome, closes as a false alarm; board and API show it closed', async () => {
    const base = `http://127.0.0.1:${env.gw.httpPort}`
    const kim = env.gw.credentials.users['tl-kim']!
    const pager = await env.browser.newPage({ viewport: { width: 360, height: 740 } })
    const errors: string[] = []
    pager.on('pageerror', (e) => errors.push(e.message))
    // Every message the page sends, to prove an incomplete form sends nothing.
    const sent: Array<Record<string, unknown>> = []
    pager.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(JSON.parse(String(f.payload)) as Record<string, unknown>)))
    await pager.goto(`${base}/pager#token=${env.gw.credentials.users['c-bob']}`)
    await pager.waitForSelector('#connection[data-connected="true"]')
    const board = await env.browser.newPage({ viewport: { width: 1280, height: 720 } })
    board.on('pageerror', (e) => errors.push(`board: ${e.message}`))
    await board.goto(`${base}/board#token=${kim}`)
    await board.waitForSelector('#connection[data-connected="true"]')

    const monitor = await connectDevice(env.gw.mqttPort, 'sz-r14', env.gw.credentials.devices['sz-r14']!)
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
    await monitor.endAsync()

    await pager.locator('[data-alert-id][data-state="active"]').waitFor()
    const alertId = (await pager.locator('[data-alert-id][data-state="active"]').getAttribute('data-alert-id'))!
    const card = pager.locator(`[data-alert-id="${alertId}"]`)
    expect(await card.innerText()).toContain('Escalation step 1')
    expect(await card.locator('[data-action="decline"]').isVisible()).toBe(true)
    expect(await card.locator('[data-action="done"]').isVisible()).toBe(false)

    await card.locator('[data-action="accept"]').click()
    await pager.locator(`[data-alert-id="${alertId}"][data-state="acknowledged"]`).waitFor()
    expect(await card.locator('[data-action="decline"]').isVisible()).toBe(false)
    const done = card.locator('[data-action="done"]')
    await done.click()
    expect(await done.getAttribute('aria-expanded')).toBe('true')
    await card.getByRole('group', { name: 'Outcome' }).waitFor()

    // No outcome chosen: an inline error next to the group, focus on its first choice, nothing sent.
    await card.locator('[data-action="close"]').click()
    await expect.poll(() => card.locator('.field-error').innerText()).toContain('Choose an outcome')
    expect(await pager.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value)).toBe('real')
    expect(sent.filter((m) => m.type === 'close')).toEqual([])
    await pager.screenshot({ path: join(artifacts, 'soft-pager-outcome-error.png') })

    // Keyboard only from here: arrow to "False alarm", tab to the note, tab to Close alert.
    await pager.keyboard.press('ArrowDown')
    expect(await card.getByRole('radio', { name: 'False alarm' }).isChecked()).toBe(true)
    expect(await card.locator('input[name="outcome-' + alertId + '"]:checked').getAttribute('value')).toBe('false_alarm')
    expect(await card.locator('.field-error').innerText()).toBe('')
    await pager.keyboard.press('Tab')
    await pager.keyboard.type('Monitor knocked by blanket')
    await pager.keyboard.press('Tab')
    await pager.keyboard.press('Enter')

    await card.waitFor({ state: 'detached' })
    await expect.poll(() => pager.locator('#status').innerText()).toContain('Alert closed: R14, False alarm')
    expect(sent.filter((m) => m.type === 'close')).toEqual([
      { type: 'close', alert_id: alertId, outcome: 'false_alarm', note: 'Monitor knocked by blanket', request_id: expect.any(String) },
    ])

    const row = board.locator(`[data-alert-id="${alertId}"][data-state="closed"]`)
    await row.waitFor()
    expect(await row.locator('td.state').innerText()).toBe('Closed')
    expect(await row.locator('td.outcome').innerText()).toBe('False alarm')
    await board.screenshot({ path: join(artifacts, 'board-closed.png') })

    const alerts = await api(env.gw.httpPort, kim, '/api/alerts')
    expect(alerts.status).toBe(200)
    expect(alerts.body.alerts.find((a: { id: string }) => a.id === alertId)).toMatchObject({
      state: 'closed', outcome: 'false_alarm', outcome_note: 'Monitor knocked by blanket', closed_by: 'c-bob', accepted_by: { id: 'c-bob' },
    })
    expect(errors).toEqual([])
  })
})
