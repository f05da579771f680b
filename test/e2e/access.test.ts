import Database from 'better-sqlite3'
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, eventually, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, startGatewayProcess, tempDataDir } from '../helpers/gateway-process.js'
import { SessionClient } from '../helpers/session-client.js'

const GOOD = 'correct horse battery staple'

/** Audit rows of one kind, read as the AT admin through the API. */
async function auditOf(gw: GatewayProcess, kind: string): Promise<any[]> {
  const r = await api(gw.httpPort, gw.credentials.users['at-ann']!, `/api/audit?kind=${kind}&limit=1000`)
  expect(r.status).toBe(200)
  return r.body.entries
}

describe('first AT admin setup, sign-in, sessions and CSRF (real gateway process)', () => {
  let gw: GatewayProcess
  let base: string
  const dataDir = tempDataDir()
  beforeAll(async () => {
    gw = await startGatewayProcess({ dataDir })
    base = `http://127.0.0.1:${gw.httpPort}`
  })
  afterAll(async () => {
    await gw?.kill('SIGTERM')
  })

  it('prints a one-time setup link on first start; it sets the first AT admin password once', async () => {
    const link = await gw.setupLink()
    expect(link).toMatch(/^\/setup#token=[A-Za-z0-9_-]{43}$/)
    const token = link!.split('token=')[1]!
    const tab = new SessionClient(base)
    // Who may become the first admin is shown only to the holder of a valid link.
    expect((await tab.request('POST', '/api/setup/check', { token: 'not-a-real-token' })).body).toEqual({ valid: false, candidates: [] })
    const check = await tab.request('POST', '/api/setup/check', { token })
    expect(check.body).toEqual({ valid: true, candidates: [{ id: 'at-ann', display_name: 'Ann' }] })
    // A carer id cannot become the first admin; a weak password is refused and leaves the link usable.
    const carer = await tab.request('POST', '/api/setup', { token, user_id: 'c-bob', display_name: 'Bob', password: GOOD })
    expect(carer.status).toBe(400)
    expect(carer.body.error.message).toMatch(/^user_id: 'c-bob' is a carer/)
    const weak = await tab.request('POST', '/api/setup', { token, user_id: 'at-ann', display_name: 'Ann', password: 'short' })
    expect(weak.status).toBe(400)
    expect(weak.body.error.code).toBe('GW_ERR_AUTH_PASSWORD_WEAK')
    const done = await tab.request('POST', '/api/setup', { token, user_id: 'at-ann', display_name: 'Ann', password: GOOD })
    expect(done.status).toBe(201)
    expect(done.body.user).toEqual({ id: 'at-ann', role: 'at_admin', display_name: 'Ann' })
    expect(done.setCookie).toMatch(/^gw_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800$/)
    // Signed in by the setup itself.
    expect((await tab.request('GET', '/api/session')).body.user.id).toBe('at-ann')
    const again = await new SessionClient(base).request('POST', '/api/setup', { token, user_id: 'at-ann', display_name: 'Ann', password: GOOD + '!' })
    expect(again.status).toBe(400)
    expect(again.body.error.code).toBe('GW_ERR_AUTH_LINK_INVALID')
  })

  it('a restart after setup prints no setup link', async () => {
    await gw.kill('SIGTERM')
    gw = await startGatewayProcess({ dataDir })
    base = `http://127.0.0.1:${gw.httpPort}`
    expect(await gw.setupLink()).toBeNull()
    // The session survived the restart: a carer is not signed out by a gateway restart.
  })

  it('refuses a wrong password with one generic message, audits the real reason, and throttles guessing', async () => {
    const tab = new SessionClient(base)
    const wrong = await tab.login('at-ann', 'not the password at all')
    const unknown = await tab.login('nobody-here', 'not the password at all')
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(wrong.body.error).toEqual(unknown.body.error)
    expect(wrong.body.error.code).toBe('GW_ERR_AUTH_LOGIN_FAILED')
    const failed = await auditOf(gw, 'auth.login_failed')
    expect(failed.map((e) => [e.actor, e.detail.reason])).toEqual(expect.arrayContaining([['user:at-ann', 'wrong password'], ['user:nobody-here', 'unknown user id']]))
    // Nine more guesses for at-ann sent AT ONCE: each counts before its (slow) check, so exactly four more are
    // checked (reaching the limit of 5) and five are refused unchecked; then even the right password is refused.
    const burst = await Promise.all(Array.from({ length: 9 }, (_, i) => tab.login('at-ann', `guess number ${i} here`)))
    expect(burst.map((r) => r.status).sort()).toEqual([401, 401, 401, 401, 429, 429, 429, 429, 429])
    const locked = await tab.login('at-ann', GOOD)
    expect(locked.status).toBe(429)
    expect(locked.body.error.code).toBe('GW_ERR_AUTH_THROTTLED')
    expect(await auditOf(gw, 'auth.login_throttled')).toHaveLength(6)
  })

  it('a session cookie reads the API, but writes need the CSRF token and the same Origin; refusals are audited', async () => {
    const admin = await api(gw.httpPort, gw.credentials.users['at-ann']!, '/api/users/tl-kim/password-link', { method: 'POST', body: {} })
    expect(admin.status).toBe(201)
    const tab = new SessionClient(base)
    const set = await tab.request('POST', '/api/password', { token: admin.body.link.split('token=')[1], password: GOOD })
    expect(set.body).toEqual({ user_id: 'tl-kim', password_set: true })
    expect((await tab.login('tl-kim', GOOD)).status).toBe(200)
    expect((await tab.request('GET', '/api/alerts?state=open')).status).toBe(200)

    const body = { kind: 'maintenance', person_id: 'p-001', reason: 'sensor swap', duration_s: 600 }
    const noToken = await tab.request('POST', '/api/suppressions', body, { csrf: false })
    expect(noToken.status).toBe(403)
    expect(noToken.body.error.code).toBe('GW_ERR_AUTH_CSRF')
    const wrongToken = await tab.request('POST', '/api/suppressions', body, { csrf: 'x'.repeat(43) })
    expect(wrongToken.status).toBe(403)
    const foreign = await tab.request('POST', '/api/suppressions', body, { origin: 'http://evil.example' })
    expect(foreign.status).toBe(403)
    const ok = await tab.request('POST', '/api/suppressions', body)
    expect(ok.status).toBe(201)
    const refusals = (await auditOf(gw, 'access.refused')).filter((e) => e.actor === 'user:tl-kim' && e.detail.what === 'POST /api/suppressions')
    expect(refusals.map((e) => e.detail.reason)).toEqual(['missing or wrong x-csrf-token', 'missing or wrong x-csrf-token', 'foreign or missing Origin'])
    // Sign-in itself is refused from a foreign origin (no login CSRF).
    expect((await new SessionClient(base).request('POST', '/api/session', { user_id: 'tl-kim', password: GOOD }, { origin: 'http://evil.example' })).status).toBe(403)
  })

  it('the WebSocket takes the session cookie at the upgrade, checks Origin, and closes when the session ends', async () => {
    const tab = new SessionClient(base)
    expect((await tab.login('tl-kim', GOOD)).status).toBe(200)
    await expect(tab.openSocket('http://evil.example')).rejects.toThrow(/HTTP 403/)
    const anonymous = await new SessionClient(base).openSocket()
    expect(await anonymous.closed).toBe(4401)
    const live = await tab.openSocket()
    expect(await live.first).toMatchObject({ type: 'hello', user: { id: 'tl-kim' } })
    const out = await tab.request('DELETE', '/api/session')
    expect(out.status).toBe(200)
    expect(await live.closed).toBe(4401)
    expect((await tab.request('GET', '/api/session')).status).toBe(401)
    expect((await auditOf(gw, 'auth.logout')).some((e) => e.actor === 'user:tl-kim')).toBe(true)
  })

  it('only an AT admin issues password links; a carer is refused and the refusal audited with the actor', async () => {
    const r = await api(gw.httpPort, gw.credentials.users['c-bob']!, '/api/users/c-amy/password-link', { method: 'POST', body: {} })
    expect(r.status).toBe(403)
    const refused = await auditOf(gw, 'access.refused')
    expect(refused.some((e) => e.actor === 'user:c-bob' && e.detail.what === 'POST /api/users/c-amy/password-link')).toBe(true)
  })

  it('a new password ends the user\'s other sessions', async () => {
    const phone = new SessionClient(base)
    expect((await phone.login('tl-kim', GOOD)).status).toBe(200)
    const desk = new SessionClient(base)
    expect((await desk.login('tl-kim', GOOD)).status).toBe(200)
    const wrong = await desk.request('POST', '/api/session/password', { current_password: 'not it at all, sorry', new_password: GOOD + ' again' })
    expect(wrong.status).toBe(400)
    expect((await auditOf(gw, 'auth.login_failed')).some((e) => e.actor === 'user:tl-kim' && e.detail.reason === 'wrong current password (password change)')).toBe(true)
    const changed = await desk.request('POST', '/api/session/password', { current_password: GOOD, new_password: GOOD + ' again' })
    expect(changed.status).toBe(200)
    expect((await phone.request('GET', '/api/session')).status).toBe(401)
    expect((await new SessionClient(base).login('tl-kim', GOOD + ' again')).status).toBe(200)
  })
})

describe('a user disabled in the configuration is signed out everywhere at once', () => {
  let gw: GatewayProcess
  beforeAll(async () => {
    gw = await startGatewayProcess()
  })
  afterAll(async () => {
    await gw?.kill('SIGTERM')
  })

  it('their session ends and their open screens close with 4401; the refusal to sign in again is audited', async () => {
    const base = `http://127.0.0.1:${gw.httpPort}`
    const admin = gw.credentials.users['at-ann']!
    const link = await api(gw.httpPort, admin, '/api/users/tl-kim/password-link', { method: 'POST', body: {} })
    const tab = new SessionClient(base)
    expect((await tab.request('POST', '/api/password', { token: link.body.link.split('token=')[1], password: GOOD })).status).toBe(200)
    expect((await tab.login('tl-kim', GOOD)).status).toBe(200)
    const live = await tab.openSocket()
    expect(await live.first).toMatchObject({ type: 'hello' })
    const version = (await api(gw.httpPort, admin, '/api/config')).body.version
    const off = await api(gw.httpPort, admin, '/api/config/users/tl-kim/disable', { method: 'POST', body: { base_version: version, note: 'left the service' } })
    expect(off.status).toBe(200)
    expect(await live.closed).toBe(4401)
    expect((await tab.request('GET', '/api/session')).status).toBe(401)
    expect((await new SessionClient(base).login('tl-kim', GOOD)).status).toBe(401)
    expect((await auditOf(gw, 'auth.login_failed')).some((e) => e.actor === 'user:tl-kim')).toBe(true)
    // Their access token stops too: a disabled user's token must not read or accept alerts.
    expect((await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/alerts')).status).toBe(401)
    expect((await auditOf(gw, 'credential.revoked')).some((e) => e.detail.principal === 'tl-kim')).toBe(true)
    // Enabled again, the old token stays revoked; an AT admin issues a new one (shown once).
    expect((await api(gw.httpPort, admin, '/api/users/tl-kim/access-token', { method: 'POST', body: {} })).status).toBe(400)
    const v2 = (await api(gw.httpPort, admin, '/api/config')).body.version
    expect((await api(gw.httpPort, admin, '/api/config/users/tl-kim/enable', { method: 'POST', body: { base_version: v2 } })).status).toBe(200)
    expect((await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/alerts')).status).toBe(401)
    const fresh = await api(gw.httpPort, admin, '/api/users/tl-kim/access-token', { method: 'POST', body: {} })
    expect(fresh.status).toBe(201)
    expect((await api(gw.httpPort, fresh.body.token, '/api/alerts')).status).toBe(200)
  })

  it('a carer asking for an alert of someone not assigned to them gets "not found", and the refusal is audited', async () => {
    const monitor = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
    await monitor.endAsync()
    const admin = gw.credentials.users['at-ann']!
    const alert = await eventually(async () => (await api(gw.httpPort, admin, '/api/alerts?state=open')).body.alerts.find((a: any) => a.alert_class === 'SEIZURE'), 'the seizure alert')
    // p-002's carer is c-bob; c-amy was not paged for it.
    const r = await api(gw.httpPort, gw.credentials.users['c-amy']!, `/api/alerts/${alert.id}/accept`, { method: 'POST', body: {} })
    expect(r.status).toBe(404)
    expect(r.body.error.code).toBe('GW_ERR_ALERT_NOT_FOUND')
    expect((await auditOf(gw, 'access.refused')).some((e) => e.actor === 'user:c-amy' && e.detail.what === `POST /api/alerts/${alert.id}/accept`)).toBe(true)
  })
})

describe('bad bearer tokens are throttled per client address (this gateway locks 127.0.0.1, so it runs alone)', () => {
  let gw: GatewayProcess
  beforeAll(async () => {
    gw = await startGatewayProcess()
  })
  afterAll(async () => {
    await gw?.kill('SIGTERM')
  })

  it('30 bad tokens in 15 minutes lock the address: even a good token is then refused with 429, and audited', async () => {
    // Unknown user ids and wrong secrets for real ones fail alike (both pay a scrypt check).
    for (let i = 0; i < 30; i++) expect((await api(gw.httpPort, i % 2 ? `c-amy.wrong-${i}` : `nobody-${i}.wrong`, '/api/alerts')).status).toBe(401)
    const locked = await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/alerts')
    expect(locked.status).toBe(429)
    expect(locked.body.error.code).toBe('GW_ERR_AUTH_THROTTLED')
    // The refusals were audited (folded per minute: unidentified callers cannot flood the trail). The row is
    // committed just after the answer, so it is waited for.
    const refusals = () => {
      const conn = new Database(join(gw.dataDir, 'gateway.db'), { readonly: true })
      const rows = conn.prepare("SELECT actor, detail FROM audit WHERE kind = 'access.refused'").all() as { actor: string; detail: string }[]
      conn.close()
      return rows
    }
    await eventually(async () => refusals().some((r) => r.actor === 'token' && r.detail.includes('too many failed sign-ins')), 'the audited 429')
    expect(refusals().some((r) => r.actor === 'unknown-token')).toBe(true)
  })
})

describe('HTTPS when a key and certificate are configured', () => {
  let gw: GatewayProcess
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'))
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' })
    gw = await startGatewayProcess({ args: ['--tls-key', join(dir, 'key.pem'), '--tls-cert', join(dir, 'cert.pem')] })
  })
  afterAll(async () => {
    await gw?.kill('SIGTERM')
  })

  it('serves HTTPS with HSTS, and the session cookie is Secure with the __Host- prefix', async () => {
    const link = await gw.setupLink()
    expect(link).not.toBeNull()
    // The test trusts this throwaway self-signed certificate for this process only.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'
    try {
      const base = `https://127.0.0.1:${gw.httpPort}`
      const tab = new SessionClient(base)
      const done = await tab.request('POST', '/api/setup', { token: link!.split('token=')[1], user_id: 'at-ann', display_name: 'Ann', password: GOOD })
      expect(done.status).toBe(201)
      expect(done.setCookie).toMatch(/^__Host-gw_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800; Secure$/)
      const res = await fetch(`${base}/login`)
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000')
      const live = await tab.openSocket()
      expect(await live.first).toMatchObject({ type: 'hello', user: { id: 'at-ann' } })
      live.ws.close()
    } finally {
      delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
    }
  })
})
