import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNoAxeViolations } from '../helpers/axe.js'
import { launchChromium } from '../helpers/browser.js'
import { api, connectDevice, eventually, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'

const artifacts = join(repoRoot, 'test-artifacts')

/** The AT team's screens in real Chromium against the real gateway: add, validate, replay, audit, refuse. */
describe('configuration screens in a real browser', () => {
  let gw: GatewayProcess
  let browser: Browser
  let admin: Page
  let base = ''
  const errors: string[] = []
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    gw = await startGatewayProcess()
    browser = await launchChromium()
    base = `http://127.0.0.1:${gw.httpPort}`
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
    admin = await ctx.newPage()
    admin.on('pageerror', (e) => errors.push(e.message))
    await admin.goto(`${base}/admin#token=${gw.credentials.users['at-ann']}`)
    await admin.locator('table[data-section="people"]').waitFor()
  })
  afterAll(async () => {
    await browser?.close()
    await gw?.kill('SIGTERM')
  })
  const field = (page: Page, path: string) => page.locator(`form [id$="-${path.replace(/\./g, '-')}"]`).first()

  it('lists people for an AT admin with no accessibility violations', async () => {
    expect(await admin.locator('tr[data-key]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))).toEqual(['p-001', 'p-002'])
    await expectNoAxeViolations(admin, 'admin people list')
    await admin.screenshot({ path: join(artifacts, 'admin-people.png'), fullPage: true })
  })

  it('adds a person with a restriction and an approval note, and the change is versioned and audited', async () => {
    await admin.locator('[data-action="add"]').click()
    await field(admin, 'id').fill('p-003')
    await field(admin, 'room_code').fill('R15')
    await admin.getByLabel('Amy (c-amy)').check()
    await admin.getByLabel('no in room sounder').check()
    await admin.locator('#approval-note').fill('admission CHG-12')
    await expectNoAxeViolations(admin, 'admin person form')
    await admin.locator('[data-action="save"]').click()
    await admin.locator('tr[data-key="p-003"]').waitFor()
    expect(await admin.locator('#status').innerText()).toMatch(/Saved as version 2/)
    const rows = (await api(gw.httpPort, gw.credentials.users['au-raj']!, '/api/audit/search?kind=config.changed&person=p-003')).body.entries
    expect(rows).toEqual([expect.objectContaining({ actor: 'user:at-ann', detail: expect.objectContaining({ note: 'admission CHG-12', after: expect.objectContaining({ restrictions: ['no_in_room_sounder'] }) }) })])
  })

  it('adds a device and shows its MQTT secret once', async () => {
    await admin.goto(`${base}/admin#devices`)
    await admin.locator('table[data-section="devices"]').waitFor()
    await admin.locator('[data-action="add"]').click()
    await field(admin, 'id').fill('bed-r15')
    await field(admin, 'type').selectOption('bed-monitor')
    await field(admin, 'person').selectOption('p-003')
    await admin.locator('[data-action="save"]').click()
    const secret = await admin.locator('[data-secret]').innerText()
    expect(secret.length).toBeGreaterThan(20)
    await admin.screenshot({ path: join(artifacts, 'admin-device-secret.png') })
    // The new device can publish at once; its event is journaled (no rule yet).
    const client = await connectDevice(gw.mqttPort, 'bed-r15', secret)
    await publishEvent(client, 'bed-r15', { type: 'out_of_bed' })
    await client.endAsync()
  })

  it('shows an invalid rule\'s problems next to their fields: the browser\'s own check, then the server\'s cross-references', async () => {
    await admin.goto(`${base}/admin#rules`)
    await admin.locator('#rules-person').selectOption('p-003')
    await admin.locator('[data-action="add"]').click()
    await field(admin, 'id').fill('up')
    await field(admin, 'on').fill('seizure_alarm')
    await field(admin, 'alert_class').fill('out of bed')
    await admin.locator('[data-action="save"]').click()
    // Checked in the browser with the server's zod schema: lower-case alert class.
    const cls = field(admin, 'alert_class')
    await expect.poll(() => cls.getAttribute('aria-invalid')).toBe('true')
    const clsError = admin.locator(`#${await cls.getAttribute('id')}-error`)
    expect(await clsError.innerText()).toContain('upper-case')
    await field(admin, 'alert_class').fill('OUT OF BED')
    await admin.locator('[data-action="save"]').click()
    // Checked by the server: a bed monitor never sends seizure_alarm; the message lands next to "Alarm event".
    const on = field(admin, 'on')
    await expect.poll(() => on.getAttribute('aria-invalid')).toBe('true')
    expect(await admin.locator(`#${await on.getAttribute('id')}-error`).innerText()).toContain("none of this person's devices sends 'seizure_alarm', so this rule can never fire")
    expect(await on.getAttribute('aria-describedby')).toContain(`${await on.getAttribute('id')}-error`)
    expect(await cls.getAttribute('aria-invalid')).toBeNull()
    await admin.screenshot({ path: join(artifacts, 'admin-rule-field-error.png'), fullPage: true })
    await expectNoAxeViolations(admin, 'admin rule form with errors')
    const v = await api(gw.httpPort, gw.credentials.users['at-ann']!, '/api/config')
    expect(v.body.version).toBe(3)
  })

  it('replays the proposed rule against the recorded events, current and proposed side by side, then saves it', async () => {
    await field(admin, 'on').fill('out_of_bed')
    await admin.locator('[data-action="replay"]').click()
    await admin.locator('#replay-rules').waitFor()
    expect(JSON.parse(await admin.locator('#replay-rules').inputValue())).toEqual([expect.objectContaining({ id: 'up', on: 'out_of_bed' })])
    await admin.locator('[data-action="run-replay"]').click()
    const proposed = admin.locator('[data-side="proposed"]')
    await proposed.waitFor()
    expect(await admin.locator('[data-side="current"] h4').innerText()).toBe('Current rules: 0 alerts')
    expect(await proposed.locator('h4').innerText()).toBe('Proposed rules: 1 alert')
    await expectNoAxeViolations(admin, 'rule replay result')
    await admin.screenshot({ path: join(artifacts, 'admin-replay.png'), fullPage: true })
    await admin.locator('[data-action="save-proposed"]').click()
    await expect.poll(() => admin.locator('#status').innerText()).toMatch(/Saved as version 4/)
  })

  it('searches the audit trail by person and downloads CSV and JSON exports', async () => {
    await admin.goto(`${base}/admin#audit`)
    await admin.locator('#audit-person').selectOption('p-003')
    await admin.locator('[data-action="search"]').click()
    await admin.locator('#audit-table tbody tr').first().waitFor()
    const kinds = await admin.locator('#audit-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')))
    expect(kinds).toEqual(expect.arrayContaining(['config.changed', 'rule.changed']))
    await expectNoAxeViolations(admin, 'audit search')
    await admin.screenshot({ path: join(artifacts, 'admin-audit.png'), fullPage: true })
    const [csv] = await Promise.all([admin.waitForEvent('download'), admin.locator('[data-export="csv"]').click()])
    expect(csv.suggestedFilename()).toMatch(/^audit-.*\.csv$/)
    const text = readFileSync((await csv.path())!, 'utf8')
    expect(text.split('\r\n')[0]).toBe('seq,at,kind,actor,alert_id,device_id,person_id,event_seq,detail')
    expect(text).toContain('config.changed,user:at-ann')
    const [json] = await Promise.all([admin.waitForEvent('download'), admin.locator('[data-export="json"]').click()])
    const body = JSON.parse(readFileSync((await json.path())!, 'utf8'))
    expect(body).toMatchObject({ truncated: false, filters: { person: 'p-003' } })
    expect(body.entries.every((e: { person_id: string }) => e.person_id === 'p-003')).toBe(true)
  })

  it('shows the version history with before and after', async () => {
    await admin.goto(`${base}/admin#history`)
    await admin.locator('#history-table tr[data-version="2"]').waitFor()
    await admin.locator('tr[data-version="2"] [data-action="show-change"]').click()
    await admin.locator('#history-detail pre').first().waitFor()
    expect(await admin.locator('#history-detail pre').nth(1).innerText()).toContain('"room_code": "R15"')
    await expectNoAxeViolations(admin, 'version history')
    await admin.screenshot({ path: join(artifacts, 'admin-history.png'), fullPage: true })
    expect(errors).toEqual([])
  })

  it('is read-only for a team leader on a phone-sized screen', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } })
    await page.goto(`${base}/admin#token=${gw.credentials.users['tl-kim']}`)
    await page.locator('table[data-section="people"]').waitFor()
    expect(await page.locator('[data-action="add"]').count()).toBe(0)
    expect(await page.locator('#view .note').innerText()).toContain('Read only')
    await expectNoAxeViolations(page, 'admin read-only on a phone')
    await page.screenshot({ path: join(artifacts, 'admin-readonly-phone.png'), fullPage: true })
  })

  it('tells a carer the screen is not for their role, and the API refuses them', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } })
    const refused: number[] = []
    page.on('response', (r) => r.url().includes('/api/config') && refused.push(r.status()))
    await page.goto(`${base}/admin#token=${gw.credentials.users['c-amy']}`)
    await page.locator('#role-refused:not([hidden])').waitFor()
    expect(await page.locator('#role-refused').innerText()).toContain('not available for your role')
    expect(await page.locator('#app').isHidden()).toBe(true)
    await expectNoAxeViolations(page, 'admin refused for a carer')
    await page.screenshot({ path: join(artifacts, 'admin-carer-refused.png') })
    const r = await page.evaluate(async () => (await fetch('/api/config')).status)
    expect(r).toBe(403)
    const audit = await eventually(async () => (await api(gw.httpPort, gw.credentials.users['au-raj']!, '/api/audit/search?kind=access.refused&actor=c-amy')).body.entries.find((e: { detail: { what: string } }) => e.detail.what === 'GET /api/config'), 'the audited refusal')
    expect(audit.actor).toBe('user:c-amy')
  })
})
