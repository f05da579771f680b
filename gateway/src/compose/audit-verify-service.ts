import { Worker } from 'node:worker_threads'
import type { AuditVerification } from './audit-verify.js'

/** Runs `verifyAuditFiles` in a worker thread; one at a time (a second request waits for the first). */
export function createAuditVerifier(files: { dbFile: string; keyFile: string; anchorFile: string }) {
  let running: Promise<AuditVerification> | null = null
  function run(): Promise<AuditVerification> {
    const worker = new Worker(new URL('./audit-verify-worker-bootstrap.mjs', import.meta.url), { workerData: files })
    return new Promise((resolve, reject) => {
      worker.once('message', (m: { ok: boolean; result?: AuditVerification; error?: string }) => (m.ok ? resolve(m.result!) : reject(new Error(m.error))))
      worker.once('error', reject)
      worker.once('exit', (code) => code !== 0 && reject(new Error(`audit verification worker exited with ${code}`)))
    })
  }
  return {
    verify(): Promise<AuditVerification> {
      running ??= run().finally(() => (running = null))
      return running
    },
  }
}
