import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNoAxeViolations } from '../helpers/axe.js'
import { launchChromium } from '../helpers/browser.js'
import { api, connectDevice, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'

const artifacts = join(repoRoot, 'test-artifacts')

/**
 * The e2e configuration plus what the board shows: a rota with Bob on shift all day (two shifts, since a
 * shift may not run from a time to the same time) and Amy not on shift; the presence button supervised
 * with a 1 s window, so it is reported offline moments after start (it never speaks in this test); R14's
 * resident must not have a sounder in the room.
 */
function boardConfig(): string {
  const cfg = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'e2e-config.json'), 'utf8'))
  cfg.rota = [
    { site: 'oak-house', user: 'c-bob', from: '00:00', to: '12:00' },
    { site: 'oak-house', user: 'c-bob', from: '12:00', to: '00:00' },
  ]
  // Low priority: shown on the pagers, but it does not ring (only the seizure alarm should, below).
  Object.assign(cfg.devices.find((d: { id: string }) => d.id === 'btn-r12'), { supervision: { interval_s: 1, grace_s: 0 }, not_reporting_priority: 'low' })
  // What must never happen near R14's resident: the carer on the way sees it on the card.
  cfg.people.find((p: { id: string }) => p.id === 'p-002').restrictions = ['no_in_room_sounder']
  const file = join(mkdtempSync(join(tmpdir(), 'gw-board-')), 'config.json')
  writeFileSync(file, JSON.stringify(cfg))
  return file
}

/** Counts every tone the page plays, through the real Web Audio API (the page cannot tell). */
const countTones = () => {
  const w = window as unknown as { __tones: number }
  w.__tones = 0
  const original = AudioContext.prototype.createOscillator
  AudioContext.prototype.createOscillator = function (this: AudioContext) {
    w.__tones++
    return original.call(this)
  }
}

describe('soft pager and live board in real browsers', () => {
  let gw: GatewayProcess
  let browser: Browser
  const contexts: BrowserContext[] = []
  const errors: string[] = []
  const base = () => `http://127.0.0.1:${gw.httpPort}`
  const token = (user: string) => gw.credentials.users[user]!

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    gw = await startGatewayProcess({ config: boardConfig() })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await gw?.kill('SIGTERM')
  })

  /** A signed-in page in its own browser context (its own cookie jar), as a separate phone or screen would be. */
  async function open(user: string, path: string, viewport: { width: number; height: number }): Promise<Page> {
    const ctx = await browser.newContext({ viewport })
    contexts.push(ctx)
    const page = await ctx.newPage()
    page.on('pageerror', (e) => errors.push(`${user} ${path}: ${e.message}`))
    await page.addInitScript(countTones)
    await page.goto(`${base()}${path}#token=${token(user)}`)
    return page
  }

  it('a seizure alarm rings on two pagers until Bob accepts; the board follows live and its figures add up', async () => {
    const bob = await open('c-bob', '/pager', { width: 360, height: 740 })
    await bob.locator('#connection[data-connected="true"]').waitFor()
    // The sign-in link's token left the address bar at once.
    expect(bob.url()).toBe(`${base()}/pager`)
    expect(await bob.locator('#user').innerText()).toContain('Bob')
    // Sound is visibly off until the carer taps; the tap is the gesture the browser needs.
    expect(await bob.locator('#sound').getAttribute('data-sound')).toBe('off')
    expect(await bob.locator('#sound-state').innerText()).toContain('Sound is off')
    await bob.getByRole('button', { name: 'Turn sound on' }).click()
    await bob.locator('#sound[data-sound="on"]').waitFor()
    expect(await bob.getByRole('button', { name: 'Turn sound on' }).isVisible()).toBe(false)

    const kimPager = await open('tl-kim', '/pager', { width: 360, height: 740 })
    await kimPager.locator('#connection[data-connected="true"]').waitFor()
    const board = await open('tl-kim', '/board', { width: 1920, height: 1080 })
    await board.locator('#connection[data-connected="true"]').waitFor()

    // On shift by the rota: Bob; Amy has no shift now. Kim is on call as team leader, not in the rota.
    await board.locator('#on-shift li[data-user-id="c-bob"]').waitFor()
    expect(await board.locator('#on-shift').innerText()).toContain('Bob — carer')
    expect(await board.locator('#on-shift li[data-user-id="c-amy"]').count()).toBe(0)
    // The presence button never reported within its 1 s window: offline, in words.
    const offline = board.locator('#devices tr[data-device-id="btn-r12"][data-problem="offline"]')
    await offline.waitFor()
    expect(await offline.innerText()).toMatch(/R12\s+Offline: not heard since/)

    const monitor = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })

    const card = bob.locator('[data-alert-id][data-priority="high"]')
    await card.waitFor()
    const alertId = (await card.getAttribute('data-alert-id'))!
    const text = await card.innerText()
    for (const part of ['R14', 'SEIZURE', 'High priority', 'raised just now', 'Nobody attending yet', 'Escalation step 1', 'Take care: no sounder in the room.']) expect(text).toContain(part)
    expect(text).not.toContain('p-002') // the pseudonymous id is not for carers' eyes either
    expect(await bob.locator('#alert-announcer').innerText()).toContain('New alert: R14, SEIZURE, high priority.')

    // The alarm repeats (two rings, two tones each) on both pagers until someone accepts.
    await bob.waitForFunction(() => Number(document.getElementById('alarm')?.dataset.rings) >= 2)
    await bob.waitForFunction(() => (window as unknown as { __tones: number }).__tones >= 5) // 1 test beep's 2 tones + 2 rings
    expect(await bob.locator(`[data-alert-id="${alertId}"]`).getAttribute('data-ringing')).toBe('true')
    expect(await bob.locator('#alarm').innerText()).toContain('R14')
    await kimPager.waitForFunction(() => Number(document.getElementById('alarm')?.dataset.rings) >= 2)
    await bob.screenshot({ path: join(artifacts, 'pager-360-alert.png') })
    await expectNoAxeViolations(bob, 'pager with a ringing alert')

    // The board has it live, with its timer and escalation state in words.
    const row = board.locator(`#open-alerts tr[data-alert-id="${alertId}"]`)
    await row.waitFor()
    await expect.poll(() => row.locator('td.step').innerText()).toMatch(/^Step 1 of \d+: assigned carers\s+next step (in \d|due now)/)
    expect(await row.locator('td.attending').innerText()).toBe('Nobody yet')
    expect(await board.locator('#board-announcer').innerText()).toContain('New alert: R14, SEIZURE, high priority.')

    await card.locator('[data-action="accept"]').click()
    await bob.locator(`[data-alert-id="${alertId}"][data-state="acknowledged"]`).waitFor()
    // Accepted here: the alarm stops here, and on Kim's pager, where someone else took it.
    await bob.locator('#alarm[data-ringing="false"]').waitFor({ state: 'attached' })
    expect(await bob.locator(`[data-alert-id="${alertId}"]`).getAttribute('data-ringing')).toBe('false')
    await kimPager.locator(`[data-alert-id="${alertId}"][data-state="acknowledged"]`).waitFor()
    await kimPager.locator('#alarm[data-ringing="false"]').waitFor({ state: 'attached' })
    expect(await kimPager.locator(`[data-alert-id="${alertId}"] .card-state`).innerText()).toBe('Attending: Bob')
    expect(await bob.locator(`[data-alert-id="${alertId}"] .card-state`).innerText()).toBe('Attending: Bob (you)')
    await row.and(board.locator('[data-state="acknowledged"]')).waitFor()
    expect(await row.locator('td.attending').innerText()).toBe('Bob')
    expect(await row.locator('td.step').innerText()).toContain('stopped, accepted')

    // Bob closes it as a false alarm; the board moves it to the closed table and counts it.
    await bob.locator(`[data-alert-id="${alertId}"] [data-action="done"]`).click()
    await bob.locator(`[data-alert-id="${alertId}"]`).getByText('False alarm').click()
    await bob.locator(`[data-alert-id="${alertId}"] [data-action="close"]`).click()
    await bob.locator(`[data-alert-id="${alertId}"]`).waitFor({ state: 'detached' })
    const closed = board.locator(`#closed-alerts tr[data-alert-id="${alertId}"][data-state="closed"]`)
    await closed.waitFor()
    expect(await closed.locator('td.outcome').innerText()).toBe('False alarm')
    expect(await board.locator(`#open-alerts tr[data-alert-id="${alertId}"]`).count()).toBe(0)
    const byRoom = board.locator('#false-person-oak-house')
    await byRoom.waitFor()
    expect(await byRoom.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^R14\s+1\s+1$/)])
    expect(await board.locator('#false-device-oak-house tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^sz-r14\s+R14\s+1\s+1$/)])
    // One alert raised, accepted and closed today: one time to accept, one time to close.
    const times = board.locator('#response-oak-house')
    expect(await times.locator('caption').innerText()).toMatch(/^1 alert raised today/)
    expect(await times.locator('tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^Time to accept\s+1\s+\d+ s\s+\d+ s$/),
      expect.stringMatching(/^Time to close\s+1\s+(\d+ s|\d+ min \d+ s)\s+(\d+ s|\d+ min \d+ s)$/),
    ])
    // The figures agree with the API's own record of the alert.
    const a = (await api(gw.httpPort, token('tl-kim'), `/api/alerts/${alertId}`)).body.alert
    const toAccept = Math.round((Date.parse(a.accepted_at) - Date.parse(a.raised_at)) / 1000)
    expect((await times.locator('tbody tr').first().innerText()).split(/\s+/).slice(4)).toEqual([String(toAccept), 's', String(toAccept), 's'])

    // The 30-day service figures (refreshed every 5 minutes; a reload fetches them now) count it too.
    await board.reload()
    const service = board.locator('#service dl.service-figures')
    await service.waitFor()
    const figures = (await service.innerText()).replace(/\s+/g, ' ')
    expect(figures).toContain('Care alerts 1')
    expect(figures).toMatch(/Accepted within 60 s \(TSA target 97\.5 %\) 100 %/)
    expect(await board.locator('#service a[href^="/api/reports/response-times.csv?by=person"]').count()).toBe(1)

    // A low battery reported by the bed sensor joins the device panel.
    const bed = await connectDevice(gw.mqttPort, 'bed-r12', gw.credentials.devices['bed-r12']!)
    await publishEvent(bed, 'bed-r12', { type: 'battery_low' })
    await bed.endAsync()
    await monitor.endAsync()
    const battery = board.locator('#devices tr[data-device-id="bed-r12"][data-problem="low_battery"]')
    await battery.waitFor()
    expect(await battery.innerText()).toMatch(/R12\s+Low battery: battery low alert/)

    await board.screenshot({ path: join(artifacts, 'board-1920.png'), fullPage: true })
    await expectNoAxeViolations(board, 'board at 1920 px')
    await bob.screenshot({ path: join(artifacts, 'pager-360-empty.png') })

    // Sound was turned on in this session: after a reload the browser needs a new tap, and the page says so.
    await bob.reload()
    await bob.locator('#connection[data-connected="true"]').waitFor()
    expect(await bob.locator('#sound').getAttribute('data-sound')).toBe('off')
    expect(await bob.locator('#sound-state').innerText()).toContain('tap anywhere')
    await bob.locator('#alerts-heading').click()
    await bob.locator('#sound[data-sound="on"]').waitFor()
    expect(errors).toEqual([])
  })

  it('an auditor reads the board on a phone; a carer and an AT admin are told the page is not for their role', async () => {
    const raj = await open('au-raj', '/board', { width: 360, height: 740 })
    await raj.locator('#connection[data-connected="true"]').waitFor()
    await raj.locator('#response-oak-house').waitFor()
    // Nothing wider than the phone: tables scroll inside their own focusable region.
    const wide = await raj.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > 360).map((e) => `${e.tagName}#${e.id}.${e.className}`))
    expect(wide).toEqual([])
    expect(await raj.evaluate(() => document.documentElement.scrollWidth)).toBe(360)
    await raj.screenshot({ path: join(artifacts, 'board-360.png'), fullPage: true })
    await expectNoAxeViolations(raj, 'board at 360 px')
    // Signing out in another tab ends the session: the server closes this board's socket (4401) and the
    // page leaves for sign-in rather than keep showing alerts.
    const tab = await raj.context().newPage()
    await tab.goto(`${base()}/board`)
    await tab.locator('#connection[data-connected="true"]').waitFor()
    await tab.getByRole('button', { name: 'Sign out' }).click()
    await raj.waitForURL(/\/login\?next=%2Fboard/)

    const amy = await open('c-amy', '/board', { width: 360, height: 740 })
    await amy.locator('#role-refused:not([hidden])').waitFor()
    expect(await amy.locator('#role-refused').innerText()).toContain('not available')
    expect(await amy.locator('#role-name').innerText()).toBe('carer')
    expect(await amy.locator('#main').isHidden()).toBe(true)
    // The API refuses the carer too, whatever the page shows (and audits it).
    expect((await api(gw.httpPort, token('c-amy'), '/api/board')).status).toBe(403)
    await expectNoAxeViolations(amy, 'board refused to a carer')

    const ann = await open('at-ann', '/pager', { width: 360, height: 740 })
    await ann.locator('#role-refused:not([hidden])').waitFor()
    expect(await ann.locator('#role-name').innerText()).toBe('AT admin')
    // Signing out ends the session and goes to the sign-in page.
    await ann.getByRole('button', { name: 'Sign out' }).click()
    await ann.waitForURL(/\/login/)

    // A sign-in link with a wrong token signs nobody in: off to the sign-in page, back to the pager after.
    const stranger = await (await browser.newContext()).newPage()
    await stranger.goto(`${base()}/pager#token=c-bob.wrong-secret`)
    await stranger.waitForURL(`${base()}/login?next=%2Fpager`)
    expect(errors).toEqual([])
  })
})
