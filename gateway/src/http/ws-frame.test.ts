import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { textFrame } from './ws-frame.js'

// A real ws server and client on loopback: the server writes our frames straight to the upgraded socket,
// interleaved with ws's own sends, and the client (ws's parser, which closes on any malformed frame) reads them.
let port: number
let serverSide: { ws: WebSocket; socket: Duplex } | null = null
const http = createServer()
const wss = new WebSocketServer({ noServer: true })
http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => (serverSide = { ws, socket })))

beforeAll(async () => {
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  port = (http.address() as AddressInfo).port
})
afterAll(() => {
  wss.close()
  http.close()
})

async function connect(): Promise<{ client: WebSocket; received: string[] }> {
  serverSide = null
  const client = new WebSocket(`ws://127.0.0.1:${port}/`)
  const received: string[] = []
  client.on('message', (d: Buffer, isBinary: boolean) => received.push(`${isBinary ? 'binary' : 'text'}:${d.toString('utf8')}`))
  await once(client, 'open')
  while (!serverSide) await new Promise((r) => setTimeout(r, 1))
  return { client, received }
}

describe('textFrame', () => {
  it.each([
    ['empty', 0],
    ['largest 7-bit length', 125],
    ['smallest 16-bit length', 126],
    ['largest 16-bit length', 65_535],
    ['smallest 64-bit length', 65_536],
    ['multi-byte characters', -1],
  ])('a %s message arrives intact at a real ws client, in order with ws.send', async (_name, size) => {
    const { client, received } = await connect()
    const text = size < 0 ? 'Zimmer 12 — Sturz ✓ 🚨'.repeat(20) : 'x'.repeat(size)
    const frame = textFrame(text)
    expect(frame.payload.toString('utf8')).toBe(text)
    serverSide!.ws.send('before')
    serverSide!.socket.write(frame.wire)
    serverSide!.ws.send('after')
    while (received.length < 3) await new Promise((r) => setTimeout(r, 2))
    expect(received).toEqual(['text:before', `text:${text}`, 'text:after'])
    client.close()
  })

  it('uses the shortest length encoding (RFC 6455 §5.2)', () => {
    expect([...textFrame('hi').wire.subarray(0, 2)]).toEqual([0x81, 2])
    expect([...textFrame('x'.repeat(126)).wire.subarray(0, 4)]).toEqual([0x81, 126, 0, 126])
    expect([...textFrame('x'.repeat(65_536)).wire.subarray(0, 10)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0])
  })
})
