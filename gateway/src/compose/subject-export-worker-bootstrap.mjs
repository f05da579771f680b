// Worker threads do not inherit the main thread's module loader hooks on Node 20, so the worker
// registers tsx itself before loading the TypeScript worker (same source-run model as `npm start`).
import { register } from 'tsx/esm/api'

register()
await import('./subject-export-worker.ts')
