import { fork } from 'node:child_process'
import { join } from 'node:path'
import { sleep, summarise, type Summary } from './stats.js'

/** Fan-out to many screens: when the last of them had each message, and when each one did (ms after its origin). */
export interface FanoutFigure {
  readonly screens: number
  readonly last: Summary
  readonly each: Summary
  /** Size of the timed alert frames' payloads as the screens received them (bytes), to compare floor and gateway. */
  readonly frame_bytes: number
}

/**
 * Opens `screens` WebSocket screens in a forked process (screens-worker.ts), then `samples` times: `trigger(i, room)`
 * makes something send alert `i` for `room` and resolves with its origin on the shared monotonic clock; the screens
 * record when each first saw that room. Used for figure 3 (the gateway) and for its floor (a bare `ws` server).
 */
export async function timeFanout(o: {
  readonly url: string
  readonly token: string | null
  readonly screens: number
  readonly samples: number
  readonly rooms: (i: number) => string
  readonly trigger: (i: number, room: string) => Promise<number>
  /** Untimed triggers first (the first alert of a process compiles its path). */
  readonly warmUp?: () => Promise<void>
}): Promise<FanoutFigure> {
  const worker = fork(join(import.meta.dirname, 'screens-worker.ts'), [], { execArgv: ['--import', 'tsx'] })
  const ask = <T>(cmd: object, kind: string) => new Promise<T>((resolve, reject) => {
    const on = (m: { kind: string; message?: string }) => {
      if (m.kind === 'error') reject(new Error(m.message))
      else if (m.kind === kind) { worker.off('message', on); resolve(m as T) }
    }
    worker.on('message', on)
    worker.send(cmd)
  })
  try {
    await ask({ cmd: 'connect', url: o.url, token: o.token, n: o.screens, concurrency: 20 }, 'connected')
    await o.warmUp?.()
    const origin = new Map<string, number>()
    for (let i = 0; i < o.samples; i++) {
      const room = o.rooms(i)
      origin.set(room, await o.trigger(i, room))
      await sleep(300)
    }
    await sleep(1000)
    const { seen, bytes } = await ask<{ seen: Record<string, number[]>; bytes: number }>({ cmd: 'collect' }, 'seen')
    const last: number[] = []
    const each: number[] = []
    for (const [room, t0] of origin) {
      const times = seen[room] ?? []
      if (times.length < o.screens) throw new Error(`fan-out: only ${times.length} of ${o.screens} screens saw ${room}`)
      for (const t of times) each.push(t - t0)
      last.push(Math.max(...times) - t0)
    }
    return { screens: o.screens, last: summarise(last), each: summarise(each), frame_bytes: bytes }
  } finally {
    worker.kill('SIGTERM')
  }
}
