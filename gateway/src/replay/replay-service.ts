import { runInWorker } from '../core/worker.js'
import type { GatewayConfig, SchemaContext } from '../config/schema.js'
import { gatewayError } from '../core/errors.js'
import type { ReplayReport } from './compare.js'
import { applyProposal, parseInstant } from './run-replay.js'

/** Longest history one replay may cover. */
export const MAX_REPLAY_DAYS = 31

/** Validate a replay request and run it in a worker thread against a read-only database connection. */
export async function replayInWorker(dbFile: string, current: Readonly<GatewayConfig>, body: unknown, ctx: SchemaContext): Promise<ReplayReport> {
  const b = (body ?? {}) as { rules?: unknown; from?: unknown; to?: unknown; person?: unknown }
  const from = parseInstant('from', b.from)
  const to = parseInstant('to', b.to)
  if (to <= from) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['"from" must be before "to"'])
  if (to - from > MAX_REPLAY_DAYS * 86_400_000) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`a replay may cover at most ${MAX_REPLAY_DAYS} days`])
  const proposed = applyProposal(current, b.rules, ctx)
  const person = typeof b.person === 'string' ? b.person : undefined
  const result = await runInWorker<{ ok: boolean; report?: ReplayReport; error?: string }>(new URL('./replay-worker.ts', import.meta.url), { dbFile, current, proposed, from, to, person }, 'replay')
  if (!result.ok) throw gatewayError('GW_ERR_API_BAD_REQUEST', [result.error ?? 'replay failed'])
  return result.report!
}
