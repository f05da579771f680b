import { fdatasyncSync, fstatSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'

/**
 * The WAL sync's own thread (store/wal-sync-thread.ts): fdatasync and fstat on a descriptor the main thread
 * opened (descriptors are per process). Nothing else ever waits in this thread's queue.
 */
parentPort!.on('message', (m: { id: number; op: 'fdatasync' | 'links' | 'syncThenLinks'; fd: number }) => {
  try {
    if (m.op !== 'links') fdatasyncSync(m.fd)
    const value = m.op === 'fdatasync' ? 0 : fstatSync(m.fd).nlink
    parentPort!.postMessage({ id: m.id, ok: true, value })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    parentPort!.postMessage({ id: m.id, ok: false, message: e.message, code: e.code })
  }
})
parentPort!.postMessage({ ready: true })
