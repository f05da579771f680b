import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, publishEvent } from '../helpers/clients.js'
import { expectNoAxeViolations } from '../helpers/axe.js'
import { launchChromium } from '../helpers/browser.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'

const artifacts = join(repoRoot, 'test-artifacts')

/**
 * Closing an alert with an outcome on the soft pager in real Chromium, by keyboard. Alerts arriving live,
 * the alarm, the board and roles: browser-pager-board.test.ts; connection loss: browser-resync.test.ts.
 */
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
    await expectNoAxeViolations(pager, 'pager with the close-out form open')

    // No outcome chosen: an inline error next to the group, focus on its first choice, nothing sent.
    await card.locator('[data-action="close"]').click()
    await expect.poll(() => card.locator('.field-error').innerText()).toContain('Choose an outcome')
    expect(await pager.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value)).toBe('real')
    expect(sent.filter((m) => m.type === 'close')).toEqual([])
    await pager.screenshot({ path: join(artifacts, 'soft-pager-outcome-error.png') })
    await expectNoAxeViolations(pager, 'pager with the outcome error')

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
    expect(await row.locator('td.outcome').innerText()).toBe('False alarm: Monitor knocked by blanket')
    await board.screenshot({ path: join(artifacts, 'board-closed.png') })

    const alerts = await api(env.gw.httpPort, kim, '/api/alerts')
    expect(alerts.status).toBe(200)
    expect(alerts.body.alerts.find((a: { id: string }) => a.id === alertId)).toMatchObject({
      state: 'closed', outcome: 'false_alarm', outcome_note: 'Monitor knocked by blanket', closed_by: 'c-bob', accepted_by: { id: 'c-bob' },
    })
    expect(errors).toEqual([])
  })
})
