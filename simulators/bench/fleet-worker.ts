import { LiteClient, loopbackAddress } from './mqtt-lite.js'
import { nowMs, sleep, summarise } from './stats.js'
import type { FleetCommand, FleetReply, LoadResult, MixEntry } from './fleet-protocol.js'

/**
 * A benchmark fleet: a forked child process (never the gateway's) holding many device connections, driven over
 * IPC by the bench runner. Every loop here is bounded by a duration the runner passes in.
 */
interface Device { readonly id: string; readonly client: LiteClient; readonly topic: string }

const devices: Device[] = []
let tag = `w${process.pid}`
let seq = 0

function reply(r: FleetReply): void {
  process.send!(r)
}

async function connectAll(c: Extract<FleetCommand, { cmd: 'connect' }>): Promise<void> {
  const t0 = nowMs()
  tag = c.tag
  let next = 0
  let failed = 0
  const errors = new Map<string, number>()
  const worker = async () => {
    while (next < c.devices.length) {
      const i = next++
      const d = c.devices[i]!
      // Like a real device: up to three attempts, a second apart.
      for (let attempt = 1; ; attempt++) {
        try {
          const client = await LiteClient.connect({
            port: c.port, clientId: d.id, username: d.id, password: d.password, localAddress: loopbackAddress(c.addrOffset + Math.floor(i / 10)),
            ...(c.will ? { will: { topic: `care/${c.site}/device/${d.id}/status`, payload: 'offline', qos: 1 } } : {}),
            timeoutMs: 30_000,
          })
          devices.push({ id: d.id, client, topic: `care/${c.site}/device/${d.id}/event` })
          break
        } catch (err) {
          const m = (err as Error).message.replace(/\(.*\)|for \S+/g, '')
          errors.set(m, (errors.get(m) ?? 0) + 1)
          if (attempt === 3) {
            failed++
            break
          }
          await sleep(1000)
        }
      }
    }
  }
  await Promise.all(Array.from({ length: c.concurrency }, worker))
  reply({ kind: 'connected', connected: devices.length, failed, ms: nowMs() - t0, errors: Object.fromEntries(errors) })
}

/** Weighted pick of an event type and device group: each event goes to the group furthest behind its share. */
function picker(mix: readonly MixEntry[]) {
  const groups = mix.map((m) => ({ ...m, members: devices.filter((d) => d.id.startsWith(m.prefix)), sent: 0, cursor: 0 }))
  for (const g of groups) if (g.members.length === 0) throw new Error(`no connected device starts with '${g.prefix}'`)
  const total = mix.reduce((a, m) => a + m.weight, 0)
  let count = 0
  return (): { device: Device; type: string } => {
    count++
    let g = groups[0]!
    let owed = -Infinity
    for (const x of groups) {
      const o = (count * x.weight) / total - x.sent
      if (o > owed) [owed, g] = [o, x]
    }
    g.sent++
    return { device: g.members[g.cursor++ % g.members.length]!, type: g.type }
  }
}

/**
 * Open loop at `rate` events/s (or closed loop with `window` in flight when rate is 0) for `durationMs`,
 * then up to `drainMs` for the last PUBACKs. Reports what was sent, acknowledged and how long PUBACKs took.
 */
async function load(c: Extract<FleetCommand, { cmd: 'load' }>): Promise<LoadResult> {
  const pick = picker(c.mix)
  const ackMs: number[] = []
  let sent = 0
  let acked = 0
  let failed = 0
  let inflight = 0
  let maxInflight = 0
  const prefix = `${tag}-${c.label}-`
  const sendOne = (at: string) => {
    const { device, type } = pick()
    const t = nowMs()
    sent++
    inflight++
    if (inflight > maxInflight) maxInflight = inflight
    device.client.publish(device.topic, `{"event_id":"${prefix}${seq++}","type":"${type}","at":"${at}"}`, (err) => {
      inflight--
      if (err) return void failed++
      acked++
      if (ackMs.length < 200_000) ackMs.push(nowMs() - t)
      if (c.rate === 0 && nowMs() < end) sendOne(new Date().toISOString())
    })
  }
  const start = nowMs()
  const end = start + c.durationMs
  // The steady part of the window: from a fifth in (connections warm, the pipeline full) to the end of sending.
  const steadyFrom = start + c.durationMs / 5
  let steady: { at: number; acked: number } | null = null
  const steadyTimer = setTimeout(() => (steady = { at: nowMs(), acked }), steadyFrom - start)
  if (c.rate === 0) {
    for (let i = 0; i < c.window; i++) sendOne(new Date().toISOString())
    await sleep(c.durationMs)
  } else {
    // Ticks of 5 ms send whatever the schedule owes since the start, so a slow tick catches up instead of losing rate.
    while (nowMs() < end) {
      const due = Math.floor(((nowMs() - start) / 1000) * c.rate)
      const at = new Date().toISOString()
      const owed = Math.min(due - sent, c.maxInflight - inflight)
      for (let i = 0; i < owed; i++) sendOne(at)
      await sleep(5)
    }
  }
  const sendEnd = nowMs()
  clearTimeout(steadyTimer)
  const from: { at: number; acked: number } = steady ?? { at: start, acked: 0 }
  const steadyAckedPerSecond = ((acked - from.acked) * 1000) / Math.max(1, sendEnd - from.at)
  const drainUntil = sendEnd + c.drainMs
  while (inflight > 0 && nowMs() < drainUntil) await sleep(5)
  const elapsed = sendEnd - start
  return { sent, acked, failed, unacked: inflight, elapsedMs: elapsed, ackedPerSecond: (acked * 1000) / Math.max(1, nowMs() - start), steadyAckedPerSecond, offeredPerSecond: (sent * 1000) / elapsed, maxInflight, ackMs: summarise(ackMs), eventPrefix: prefix }
}

/** Each device sends a heartbeat every `intervalMs`, spread evenly, until `durationMs` has passed. */
async function heartbeat(c: Extract<FleetCommand, { cmd: 'heartbeat' }>): Promise<void> {
  const end = nowMs() + c.durationMs
  const start = nowMs()
  let sent = 0
  let failed = 0
  const n = devices.length
  // Slot i of each interval belongs to device i: one tick a 10 ms sends the devices whose slot has come.
  let k = 0
  while (nowMs() < end) {
    const due = Math.floor(((nowMs() - start) / c.intervalMs) * n)
    const at = new Date().toISOString()
    for (; k < due; k++) {
      const d = devices[k % n]!
      sent++
      d.client.publish(d.topic, `{"event_id":"${tag}-hb-${seq++}","type":"heartbeat","at":"${at}"}`, (err) => {
        if (err) failed++
      })
    }
    await sleep(10)
  }
  reply({ kind: 'heartbeat-done', sent, failed })
}

process.on('message', (raw) => {
  const c = raw as FleetCommand
  const run = async () => {
    switch (c.cmd) {
      case 'connect': return connectAll(c)
      case 'load': return reply({ kind: 'loaded', result: await load(c) })
      case 'heartbeat': return void heartbeat(c) // runs in the background; replies when done
      case 'close':
        for (const d of devices) d.client.end()
        await sleep(200)
        reply({ kind: 'ok' })
        return process.exit(0)
    }
  }
  run().catch((err: unknown) => reply({ kind: 'error', message: (err as Error).stack ?? String(err) }))
})
process.on('disconnect', () => process.exit(0))
