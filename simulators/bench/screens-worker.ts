import WebSocket from 'ws'
import { nowMs, sleep } from './stats.js'

/**
 * Dashboard screens for the fan-out figure (fanout.ts): a forked process (not the gateway's) holding N WebSocket
 * screens, authenticated as the browser does (subprotocols `care-gateway.v1` and `bearer.<token>`; no token for the
 * bare floor server). Each records when it first sees each alert (by room code), on the shared monotonic clock. IPC:
 * `{ cmd: 'connect', url, token, n }`, `{ cmd: 'collect' }` → `{ kind: 'seen', seen: { [room]: number[] }, bytes }`
 * (the largest timed alert payload), `{ cmd: 'close' }`.
 */
type Cmd = { cmd: 'connect'; url: string; token: string | null; n: number; concurrency: number } | { cmd: 'collect' } | { cmd: 'close' }

const sockets: WebSocket[] = []
const seen = new Map<string, number[]>()
let bytes = 0

function open(url: string, token: string | null): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, token === null ? ['care-gateway.v1'] : ['care-gateway.v1', `bearer.${token}`], { perMessageDeflate: false })
    const rooms = new Set<string>()
    ws.on('message', (data: Buffer) => {
      const t = nowMs()
      // Cheap pre-filter: only alert messages are parsed (heartbeats and snapshots are not timed).
      if (data[9] !== 0x61 || !data.subarray(0, 16).toString().startsWith('{"type":"alert"')) return
      const msg = JSON.parse(data.toString()) as { alert: { room_code: string } }
      const room = msg.alert.room_code
      if (rooms.has(room)) return
      rooms.add(room)
      if (data.length > bytes) bytes = data.length
      let list = seen.get(room)
      if (!list) seen.set(room, (list = []))
      list.push(t)
    })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

process.on('message', (raw) => {
  const c = raw as Cmd
  const run = async () => {
    if (c.cmd === 'connect') {
      let next = 0
      await Promise.all(Array.from({ length: c.concurrency }, async () => {
        while (next++ < c.n) sockets.push(await open(c.url, c.token))
      }))
      await sleep(500) // let the snapshots land before anything is timed
      process.send!({ kind: 'connected', n: sockets.length })
    } else if (c.cmd === 'collect') {
      process.send!({ kind: 'seen', seen: Object.fromEntries(seen), bytes })
    } else {
      for (const ws of sockets) ws.terminate()
      process.exit(0)
    }
  }
  run().catch((err: unknown) => process.send!({ kind: 'error', message: String((err as Error).stack ?? err) }))
})
process.on('disconnect', () => process.exit(0))
