import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { connect as tcpConnect } from 'node:net'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { passwords, rawConnect, startTestBroker, type TestBroker, topicOf, until } from './test-support.js'

/** A throwaway self-signed key and certificate, made at test time (reliability-security.md §4.2: nothing committed). */
function selfSigned(dir: string, name: string, cn: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, `${name}.key`)
  const cert = join(dir, `${name}.crt`)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${cn}`], { stdio: 'ignore' })
  return { key: readFileSync(key), cert: readFileSync(cert) }
}

describe('mqtts listener', () => {
  let dir: string
  let server: { key: Buffer; cert: Buffer }
  let device: { key: Buffer; cert: Buffer }
  let t: TestBroker | null = null

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'broker-tls-'))
    server = selfSigned(dir, 'server', 'localhost')
    device = selfSigned(dir, 'dev-a', 'dev-a')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  afterEach(async () => {
    await t?.broker.close()
    t = null
  })

  async function mqtts(username: string, opts: IClientOptions = {}): Promise<MqttClient> {
    const c = mqtt.connect(`mqtts://127.0.0.1:${t!.broker.tlsPort}`, {
      username, password: passwords[username], clientId: username, reconnectPeriod: 0,
      ca: server.cert, servername: 'localhost', ...opts,
    })
    return new Promise((resolve, reject) => {
      c.once('connect', () => resolve(c))
      c.once('error', (err) => (c.end(true), reject(err)))
      c.once('close', () => reject(new Error('closed before CONNACK')))
    })
  }

  it('accepts an mqtts device that verifies the certificate, with the plaintext listener disabled, and caps packet size', async () => {
    t = await startTestBroker({ port: null, tls: { port: 0, host: '127.0.0.1', ...server }, maxPayloadBytes: 1024 })
    expect(t.broker.port).toBeNull()
    expect(t.broker.tlsPort).toBeGreaterThan(0)
    const c = await mqtts('dev-a')
    await c.publishAsync(topicOf('dev-a'), '{}', { qos: 1 })
    expect(t.published).toEqual([topicOf('dev-a')])
    await c.endAsync()
    // The transport's packet-size cap works on TLS sockets too.
    const b = await mqtts('dev-b')
    b.publish(topicOf('dev-b'), Buffer.alloc(1_000_000), { qos: 1 })
    await new Promise<void>((resolve) => b.once('close', () => resolve()))
    expect(t.broker.stats()['limit.packet-size']).toBe(1)
    expect(t.published).toEqual([topicOf('dev-a')])
  })

  it('serves both listeners at once and refuses plaintext MQTT on the TLS port', async () => {
    t = await startTestBroker({ tls: { port: 0, host: '127.0.0.1', ...server } })
    expect(t.broker.port).toBeGreaterThan(0)
    const sock = tcpConnect(t.broker.tlsPort!, '127.0.0.1')
    sock.on('error', () => undefined)
    sock.write(rawConnect('dev-a', true, 'dev-a', 'pw-a'))
    await new Promise<void>((resolve) => sock.once('close', () => resolve()))
    await until(() => t!.broker.stats()['connect.tls-handshake'] === 1)
    expect(t.refused).toEqual([expect.objectContaining({ what: 'connect', clientId: '127.0.0.1', reason: expect.stringMatching(/^TLS handshake failed: /) })])
  })

  it('with requestCert, binds the certificate CN to the username (mTLS) and refuses a device without a certificate', async () => {
    t = await startTestBroker({ port: null, tls: { port: 0, host: '127.0.0.1', ...server, ca: device.cert, requestCert: true } })
    const c = await mqtts('dev-a', { key: device.key, cert: device.cert })
    await c.publishAsync(topicOf('dev-a'), '{}', { qos: 1 })
    await c.endAsync()
    const mismatch = await mqtts('dev-b', { key: device.key, cert: device.cert }).catch((e: Error & { code?: number }) => e)
    expect((mismatch as { code?: number }).code).toBe(5)
    expect(t.broker.stats()['connect.certificate-mismatch']).toBe(1)
    await expect(mqtts('dev-a')).rejects.toThrow()
    await until(() => t!.broker.stats()['connect.tls-handshake'] === 1)
  })
})
