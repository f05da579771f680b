// Worker threads do not inherit the main thread's module loader hooks on Node 20, so each worker registers
// tsx itself before loading its TypeScript module (same source-run model as `npm start`); see core/worker.ts.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.module)
