import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNoAxeViolations } from '../helpers/axe.js'
import { launchChromium } from '../helpers/browser.js'
import { api } from '../helpers/clients.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'

const artifacts = join(repoRoot, 'test-artifacts')
const PASSWORD = 'lantern orchard pebble river'

/** Sign in through the real sign-in page, as a person would: type, submit, land on the role's screen. */
async function signIn(page: Page, base: string, userId: string, password: string): Promise<void> {
  await page.goto(`${base}/login`)
  await page.getByLabel('User id').fill(userId)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

describe('sign-in pages in a real browser', () => {
  let gw: GatewayProcess
  let browser: Browser
  let base: string
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    gw = await startGatewayProcess()
    browser = await launchChromium()
    base = `http://127.0.0.1:${gw.httpPort}`
  })
  afterAll(async () => {
    await browser?.close()
    await gw?.kill('SIGTERM')
  })

  it('the first AT admin sets a password through the one-time setup link and lands on the configuration screen', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } })
    await page.goto(base + (await gw.setupLink())!)
    // The token leaves the address bar at once.
    expect(page.url()).toBe(`${base}/setup`)
    await page.locator('#setup-form:not([hidden])').waitFor()
    expect(await page.getByLabel('User id').inputValue()).toBe('at-ann')
    await expectNoAxeViolations(page, 'setup page')
    await page.screenshot({ path: join(artifacts, 'setup.png'), fullPage: true })
    // Too short: the error is next to the field, linked for screen readers, and focus goes there.
    await page.getByLabel('New password', { exact: true }).fill('short')
    await page.getByLabel('New password again').fill('short')
    await page.getByRole('button', { name: 'Set password and sign in' }).click()
    const pw = page.getByLabel('New password', { exact: true })
    expect(await pw.getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#password-error').innerText()).toContain('at least 12 characters')
    await expectNoAxeViolations(page, 'setup page with a field error')
    await pw.fill(PASSWORD)
    await page.getByLabel('New password again').fill(PASSWORD)
    await page.getByRole('button', { name: 'Set password and sign in' }).click()
    await page.waitForURL(`${base}/admin`)
    await page.close()
  })

  it('signs in as each role and lands on that role\'s screen; a wrong password shows a message and clears the field', async () => {
    // The AT admin issues password links; one user sets theirs through the page, the others through the API.
    for (const user of ['c-bob', 'tl-kim', 'au-raj']) {
      const link = await api(gw.httpPort, gw.credentials.users['at-ann']!, `/api/users/${user}/password-link`, { method: 'POST', body: {} })
      expect(link.status).toBe(201)
      if (user === 'c-bob') {
        const page = await browser.newPage({ viewport: { width: 360, height: 740 } })
        await page.goto(base + link.body.link)
        await page.locator('#password-form:not([hidden])').waitFor()
        expect(await page.locator('#who').innerText()).toContain('c-bob')
        await expectNoAxeViolations(page, 'password link page')
        await page.getByLabel('New password', { exact: true }).fill(PASSWORD)
        await page.getByLabel('New password again').fill(PASSWORD)
        await page.getByRole('button', { name: 'Set password' }).click()
        await page.locator('#message[data-ok="true"]').waitFor()
        await page.close()
      } else {
        const set = await fetch(`${base}/api/password`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ token: link.body.link.split('token=')[1], password: PASSWORD }) })
        expect(set.status).toBe(200)
      }
    }

    const page = await browser.newPage({ viewport: { width: 360, height: 740 } })
    await signIn(page, base, 'c-bob', 'wrong password here')
    await page.locator('#message', { hasText: 'Not signed in' }).waitFor()
    expect(await page.getByLabel('Password').inputValue()).toBe('')
    await expectNoAxeViolations(page, 'sign-in page with an error')
    await page.screenshot({ path: join(artifacts, 'sign-in.png'), fullPage: true })
    await page.close()

    const homes: [string, string][] = [['c-bob', '/pager'], ['tl-kim', '/board'], ['at-ann', '/admin'], ['au-raj', '/admin']]
    for (const [user, home] of homes) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
      const p = await context.newPage()
      await signIn(p, base, user, PASSWORD)
      await p.waitForURL(`${base}${home}`)
      const cookies = await context.cookies()
      const session = cookies.find((c) => c.name === 'gw_session')
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
      // Scripts on the page cannot read the session cookie.
      expect(await p.evaluate(() => document.cookie)).not.toContain('gw_session')
      expect(await p.evaluate(async () => (await (await fetch('/api/session')).json()).user.id)).toBe(user)
      await context.close()
    }
  })

  it('the axe-core check is not vacuous: an image without text on a real page fails it', async () => {
    const page = await browser.newPage()
    await page.goto(`${base}/login`)
    await page.evaluate(() => {
      document.querySelector('main')!.insertAdjacentHTML('beforeend', '<img src="/favicon.ico">')
    })
    await expect(expectNoAxeViolations(page, 'a broken page')).rejects.toThrow(/image-alt/)
    await page.close()
  })

  it.each(['//evil.example/x', '/\t/evil.example/x', '/\\evil.example', 'https://evil.example/'])('an open redirect through ?next=%j is refused: only this gateway\'s paths are followed', async (next) => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${base}/login?next=${encodeURIComponent(next)}`)
    await page.getByLabel('User id').fill('tl-kim')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${base}/board`)
    await context.close()
  })
})
