import { parentPort, workerData } from 'node:worker_threads'
import { runExport } from './subject-export.js'

/** Collects a subject access export off the main thread (compose/subject-export.ts). */
parentPort!.postMessage(runExport(workerData as { dbFile: string; personId: string; now: number }))
