import { parentPort, workerData } from 'node:worker_threads'
import type { GatewayConfig } from '../config/schema.js'
import { openReplaySource } from '../store/replay-source.js'
import { runReplay } from './run-replay.js'

/**
 * Runs one replay off the main thread, so a week of history never stalls live alerts.
 * Input: { dbFile, current, proposed, from, to, person }; output: { ok, report } or { ok: false, error }.
 */
const input = workerData as { dbFile: string; current: GatewayConfig; proposed: GatewayConfig; from: number; to: number; person?: string }
const source = openReplaySource(input.dbFile)
try {
  parentPort!.postMessage({ ok: true, report: runReplay(input.current, input.proposed, source, input.from, input.to, input.person) })
} catch (err) {
  parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) })
} finally {
  source.close()
}
