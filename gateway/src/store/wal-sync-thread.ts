import { firstMessage, startTsWorker } from '../core/worker.js'
import { nodeWalFileOps, type WalFileOps } from './wal-sync.js'

const workerModule = new URL('./wal-sync-worker.ts', import.meta.url)

type Reply = { id: number; ok: true; value: number } | { id: number; ok: false; message: string; code?: string }

/**
 * WalFileOps whose fdatasync runs on a thread of its own (issue 9 review). On libuv's shared pool (4 threads, first
 * in, first out) a sync waited behind every scrypt hash of a reconnecting fleet or a password guesser: 160 ms behind
 * 8 device credentials, 1.9 s behind 100, and every acknowledgement waits for the sync. If the thread dies, every
 * pending and later sync fails, which WalSync treats as final (storage failing).
 */
export async function startWalSyncThread(): Promise<WalFileOps & { stop(): Promise<void> }> {
  const worker = startTsWorker(workerModule, {})
  await firstMessage(worker, 'the WAL sync thread')
  worker.unref()
  const pending = new Map<number, { resolve: (v: number) => void; reject: (e: Error) => void }>()
  let next = 0
  let dead: Error | null = null
  const die = (err: Error) => {
    dead ??= err
    for (const p of pending.values()) p.reject(dead)
    pending.clear()
  }
  worker.on('message', (r: Reply) => {
    const p = pending.get(r.id)
    if (!p) return
    pending.delete(r.id)
    if (r.ok) p.resolve(r.value)
    else p.reject(Object.assign(new Error(r.message), { code: r.code }))
  })
  worker.on('error', (err) => die(err))
  worker.on('exit', (code) => die(new Error(`the WAL sync thread exited (${code})`)))
  const call = (op: 'fdatasync' | 'links' | 'syncThenLinks', fd: number) => new Promise<number>((resolve, reject) => {
    if (dead) return reject(dead)
    const id = ++next
    pending.set(id, { resolve, reject })
    worker.postMessage({ id, op, fd })
  })
  return {
    open: nodeWalFileOps.open,
    close: nodeWalFileOps.close,
    fdatasync: async (fd) => void (await call('fdatasync', fd)),
    links: (fd) => call('links', fd),
    syncThenLinks: (fd) => call('syncThenLinks', fd),
    async stop() {
      if (!dead) await worker.terminate()
    },
  }
}
