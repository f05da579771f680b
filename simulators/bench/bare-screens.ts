import { createServer } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { nowMs } from './stats.js'

/**
 * The fan-out floor (issue 9, figure 3's reference): a bare `ws` server in a process of its own, no gateway logic,
 * writing one alert frame to every connected screen exactly as the gateway's live hub does (framed once, RFC 6455
 * §5.2, then one `socket.write` per connection). Loopback only. IPC: `{ cmd: 'send', room, bytes }` writes a frame
 * whose payload is `bytes` long and answers `{ kind: 'sent', at }` with the monotonic time the first write began;
 * the parent prints nothing else. Started by bare-hop.ts; prints `{ "port" }` on stdout once listening.
 */
const sockets: Duplex[] = []
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (protocols) => (protocols.has('care-gateway.v1') ? 'care-gateway.v1' : false) })
const http = createServer((_req, res) => res.writeHead(404).end())
http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => {
  sockets.push(socket)
  ws.on('close', () => {
    const i = sockets.indexOf(socket)
    if (i >= 0) sockets.splice(i, 1)
  })
}))
http.listen(0, '127.0.0.1', () => process.send!({ kind: 'listening', port: (http.address() as { port: number }).port }))

/**
 * An unmasked text frame, built once (RFC 6455 §5.2: FIN + opcode 1; 7-bit length, or 126 and 16 bits). Written here
 * rather than imported: simulators share no code with the gateway (test/architecture.test.ts).
 */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8')
  const header = payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff])
  return Buffer.concat([header, payload])
}

/** The gateway's alert message shape, padded to the size of the gateway's own frames (under 64 KiB). */
function alertText(room: string, bytes: number): string {
  const head = `{"type":"alert","alert":{"room_code":"${room}","pad":"`
  return `${head}${'x'.repeat(Math.max(0, bytes - head.length - 3))}"}}`
}

process.on('message', (raw) => {
  const m = raw as { cmd: 'send'; room: string; bytes: number } | { cmd: 'close' }
  if (m.cmd === 'close') {
    for (const s of sockets) s.destroy()
    process.exit(0)
  }
  const frame = textFrame(alertText(m.room, m.bytes))
  const at = nowMs()
  for (const s of sockets) s.write(frame)
  process.send!({ kind: 'sent', at })
})
process.on('disconnect', () => process.exit(0))
