import { Worker } from 'node:worker_threads'

const bootstrap = new URL('./worker-bootstrap.mjs', import.meta.url)

/**
 * Runs a TypeScript module in a worker thread (long reads — replay, audit verification, subject export —
 * must not hold up alerts on the main thread) and resolves with the first message it posts. `data` is its
 * `workerData`. Rejects if the worker throws or exits without answering.
 */
export function runInWorker<T>(module: URL, data: object, what: string): Promise<T> {
  return firstMessage<T>(startTsWorker(module, data), what)
}

/** The worker's first message (an answer, or "ready"); rejects if it throws or exits before sending one. */
export function firstMessage<T = unknown>(worker: Worker, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it answered`)))
  })
}

/**
 * A worker thread running a TypeScript module with `data` as its `workerData`. `execArgv` is empty: the main
 * thread's `--import` flags (tsx, or the bench's loop probe) would load before the worker's own tsx registration.
 */
export function startTsWorker(module: URL, data: object): Worker {
  return new Worker(bootstrap, { workerData: { ...data, module: module.href }, execArgv: [] })
}
