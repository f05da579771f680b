import type { Logger } from 'pino'
import { appendAnchor, readAnchors } from '../audit/anchor-file.js'
import type { Anchor, ChainFinding } from '../audit/chain.js'
import { chainHead, verifyStoredTrail } from '../store/audit-integrity.js'
import type { Db } from '../store/index.js'

export interface AuditIntegrityDeps {
  readonly db: Db
  readonly key: Buffer
  readonly anchorFile: string
  readonly log: Logger
  readonly now: () => number
  /** Also publish each anchor elsewhere (the retained MQTT topic); may be set once the broker is up. */
  publish?: (anchor: Anchor) => void
  /** How often the head is anchored when it has moved. */
  readonly intervalMs: number
  /** Resolves once everything committed so far is on disk (the WAL sync); absent in tests without one. */
  readonly synced?: () => Promise<void>
}

/**
 * Rows checked after start-up (the newest ones): enough to cover everything since the last anchors (written every
 * minute) at ordinary rates. Before the gateway listens only the newest STARTUP_TAIL_BYTES of them are checked; the
 * rest follow at once in the verify worker (main.ts), because a row's size is in the file being checked and an
 * intruder could pad an edited row past the budget.
 */
export const STARTUP_TAIL_ROWS = 10_000
/**
 * Row detail checked before listening. Since routine events became one digest row per group commit (a thousand
 * events at full load), 10,000 rows held 173 MB in the bench's crash test: 0.8 s of hashing before devices could
 * connect. 16 MB takes ~70 ms here; it is ~100 s of audit at 1,000 events/s, ~5 s at 20,000.
 */
export const STARTUP_TAIL_BYTES = 16 * 2 ** 20

/**
 * Keeps the audit chain provable while the gateway runs: verifies the tail at start-up (plus every anchor
 * in range and the newest one before it) and writes the chain head to the anchor file, and to MQTT, every
 * `intervalMs` while it moves and once more at shutdown.
 */
export function createAuditIntegrity(deps: AuditIntegrityDeps) {
  let lastAnchoredSeq: number | null = null
  let timer: NodeJS.Timeout | undefined

  async function anchorNow(): Promise<Anchor | null> {
    const head = chainHead(deps.db)
    if (!head || head.seq === lastAnchoredSeq) return null
    // Nothing outside the database may name a row the disk does not hold yet: after a power cut that anchor would
    // read as a truncated chain, and the rows written after restart as a replaced one (issue 9: commits are synced
    // after COMMIT, off the event loop).
    await deps.synced?.()
    if (lastAnchoredSeq !== null && head.seq <= lastAnchoredSeq) return null
    const anchor: Anchor = { ...head, at: deps.now() }
    appendAnchor(deps.anchorFile, anchor)
    lastAnchoredSeq = head.seq
    deps.publish?.(anchor)
    return anchor
  }

  return {
    /** Start-up verification of the tail; the caller raises the alarm on a break. */
    checkAtStart(): ChainFinding & { malformedAnchors: number } {
      const { anchors, malformed } = readAnchors(deps.anchorFile)
      const finding = verifyStoredTrail(deps.db, deps.key, anchors, { tailRows: STARTUP_TAIL_ROWS, tailBytes: STARTUP_TAIL_BYTES })
      return { ...finding, malformedAnchors: malformed }
    },
    anchorNow,
    start(): void {
      timer = setInterval(() => {
        anchorNow().catch((err: unknown) => deps.log.error({ err }, 'could not write an audit anchor'))
      }, deps.intervalMs)
      timer.unref()
    },
    stop(): void {
      clearInterval(timer)
    },
    set publish(fn: (anchor: Anchor) => void) {
      deps.publish = fn
    },
  }
}
