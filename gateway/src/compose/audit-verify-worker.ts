import { parentPort, workerData } from 'node:worker_threads'
import { verifyAuditFiles } from './audit-verify.js'

/** Verifies the whole trail off the main thread: a million rows take seconds, and alerts must not wait. */
try {
  parentPort!.postMessage({ ok: true, result: verifyAuditFiles(workerData as { dbFile: string; keyFile: string; anchorFile: string; tailRows?: number }) })
} catch (err) {
  parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) })
}
