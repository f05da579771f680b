import { runInWorker } from '../core/worker.js'
import type { AuditVerification } from './audit-verify.js'

/** Runs `verifyAuditFiles` in a worker thread; one at a time (a second request waits for the first). */
export function createAuditVerifier(files: { dbFile: string; keyFile: string; anchorFile: string }) {
  let running: Promise<AuditVerification> | null = null
  function run(tailRows?: number): Promise<AuditVerification> {
    return runInWorker<{ ok: boolean; result?: AuditVerification; error?: string }>(new URL('./audit-verify-worker.ts', import.meta.url), tailRows === undefined ? files : { ...files, tailRows }, 'audit verification')
      .then((m) => (m.ok ? m.result! : Promise.reject(new Error(m.error))))
  }
  return {
    verify(): Promise<AuditVerification> {
      running ??= run().finally(() => (running = null))
      return running
    },
    /** The newest `rows` rows and their anchors only (after start-up: what the byte-bounded check left out). */
    verifyTail: (rows: number): Promise<AuditVerification> => run(rows),
  }
}
