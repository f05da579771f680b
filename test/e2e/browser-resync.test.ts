import { mkdirSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNoAxeViolations } from '../helpers/axe.js'
import { launchChromium } from '../helpers/browser.js'
import { api, connectDevice, eventually, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'

const artifacts = join(repoRoot, 'test-artifacts')

/**
 * A loopback TCP relay between the browser and the gateway's HTTP port. `cut()` destroys every relayed
 * connection and refuses new ones (to the browser, the server side of its WebSocket died); `restore()`
 * lets connections through again. Deterministic where killing the gateway would not be.
 */
async function startRelay(targetPort: number): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  let blocked = false
  const server: Server = createServer((client) => {
    if (blocked) return void client.destroy()
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined) // a cut connection errors on the other side; that is the point
    }
    client.pipe(upstream).pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      blocked = true
      for (const s of sockets) s.destroy()
    },
    restore() {
      blocked = false
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy()
      server.close(() => r())
    }),
  }
}

describe('connection lost and resynchronised in a real browser', () => {
  let gw: GatewayProcess
  let browser: Browser
  let relay: Awaited<ReturnType<typeof startRelay>>

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    gw = await startGatewayProcess()
    browser = await launchChromium()
    relay = await startRelay(gw.httpPort)
  })
  afterAll(async () => {
    await browser?.close()
    await relay?.close()
    await gw?.kill('SIGTERM')
  })

  it('says "connection lost" prominently, reconnects, and shows the alert raised while it was cut off from the snapshot', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    // What each WebSocket the page opens receives, in order.
    const sockets: { types: string[]; snapshots: { alerts: { id: string }[] }[] }[] = []
    page.on('websocket', (ws) => {
      const s = { types: [] as string[], snapshots: [] as { alerts: { id: string }[] }[] }
      sockets.push(s)
      ws.on('framereceived', (f) => {
        const m = JSON.parse(String(f.payload)) as { type: string; alerts: { id: string }[] }
        s.types.push(m.type)
        if (m.type === 'snapshot') s.snapshots.push(m)
      })
    })
    await page.goto(`http://127.0.0.1:${relay.port}/pager#token=${gw.credentials.users['c-bob']}`)
    await page.locator('#connection[data-connected="true"]').waitFor()
    expect(await page.locator('#connection').innerText()).toContain('Live')
    expect(await page.locator('[data-alert-id]').count()).toBe(0)

    relay.cut()
    const banner = page.locator('#connection[data-connected="false"]')
    await banner.waitFor()
    expect(await banner.innerText()).toContain('Connection lost')
    expect(await banner.innerText()).toContain('may be out of date')
    // Assertive: a screen reader interrupts with it.
    expect(await banner.getAttribute('role')).toBe('alert')
    await page.screenshot({ path: join(artifacts, 'pager-360-connection-lost.png') })
    await expectNoAxeViolations(page, 'pager with the connection lost')

    // A seizure alarm while the page is cut off: the gateway has it, the page cannot.
    const monitor = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
    await monitor.endAsync()
    const raised = await eventually(async () => (await api(gw.httpPort, gw.credentials.users['c-bob']!, '/api/alerts?state=open')).body.alerts[0] as { id: string } | undefined, 'the alert at the gateway')
    expect(await page.locator('[data-alert-id]').count()).toBe(0)
    expect(await page.locator('#connection').getAttribute('data-connected')).toBe('false')

    relay.restore()
    // Skip the rest of the backoff wait the way a phone coming back online does.
    await page.evaluate(() => dispatchEvent(new Event('online')))
    await page.locator(`[data-alert-id="${raised.id}"][data-state="active"]`).waitFor()
    await page.locator('#connection[data-connected="true"]').waitFor()
    expect(await page.locator('#connection').getAttribute('role')).toBe('status')
    // It came back in the full snapshot that opens the new connection (later upserts follow from the
    // page reporting the page delivered).
    const last = sockets.at(-1)!
    expect(sockets.length).toBeGreaterThanOrEqual(2)
    expect(last.types.slice(0, 2)).toEqual(['hello', 'snapshot'])
    expect(last.snapshots[0]!.alerts.map((a) => a.id)).toContain(raised.id)
    // The first connection never saw it.
    expect(sockets[0]!.types).not.toContain('alert')
    expect(await page.locator('#alert-announcer').innerText()).toContain('New alert: R14')
    await page.screenshot({ path: join(artifacts, 'pager-360-resynchronised.png') })
    expect(errors).toEqual([])
  })
})
