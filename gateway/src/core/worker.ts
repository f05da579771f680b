import { Worker } from 'node:worker_threads'

const bootstrap = new URL('./worker-bootstrap.mjs', import.meta.url)

/**
 * Runs a TypeScript module in a worker thread (long reads — replay, audit verification, subject export —
 * must not hold up alerts on the main thread) and resolves with the first message it posts. `data` is its
 * `workerData`. Rejects if the worker throws or exits without answering.
 */
export function runInWorker<T>(module: URL, data: object, what: string): Promise<T> {
  const worker = startTsWorker(module, data)
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (m: T) => resolve(m))
    worker.once('error', reject)
    worker.once('exit', (code) => code !== 0 && reject(new Error(`${what} worker exited with ${code}`)))
  })
}

/**
 * A worker thread running a TypeScript module with `data` as its `workerData`. `execArgv` is empty: the main
 * thread's `--import` flags (tsx, or the bench's loop probe) would load before the worker's own tsx registration.
 */
export function startTsWorker(module: URL, data: object): Worker {
  return new Worker(bootstrap, { workerData: { ...data, module: module.href }, execArgv: [] })
}
