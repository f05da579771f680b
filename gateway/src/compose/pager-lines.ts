import type { Logger } from 'pino'
import { openPort, pagerDrivers } from '../../../pager-bridge/src/index.js'
import type { GatewayConfig } from '../config/schema.js'
import type { LineHealth, Page, PagerDriver, PagerReport } from '../core/pager.js'

export interface PagerLineCallbacks {
  readonly pushToScreens: (page: Page) => number
  readonly report: (notificationId: string, event: PagerReport, detail: Record<string, unknown>) => void
  readonly lineHealth: (lineId: string, state: LineHealth, reason: string) => void
  readonly frame: (lineId: string, direction: 'tx' | 'rx', bytes: Buffer, notificationId: string | null, what: string) => void
}

/**
 * Build one driver per configured line (ESPA, TAP) plus the soft pager, and answer "which driver serves
 * this pager" and "is its line up". Composition only: the drivers know nothing of the gateway.
 */
export function createPagerLines(config: Readonly<GatewayConfig>, log: Logger, cb: PagerLineCallbacks) {
  const lines = new Map<string, PagerDriver>()
  const soft = pagerDrivers.soft!.create({}, { lineId: 'soft', log, pushToScreens: cb.pushToScreens, report: cb.report, lineHealth: () => undefined, frame: () => undefined })
  for (const line of config.lines) {
    const def = pagerDrivers[line.protocol]!
    const { id: _id, protocol: _p, site: _s, alert_priority: _a, ...settings } = line
    const lineLog = log.child({ line: line.id })
    lines.set(line.id, def.create(def.config.parse(settings), {
      lineId: line.id,
      log: lineLog,
      openPort,
      report: cb.report,
      lineHealth: (state, reason) => cb.lineHealth(line.id, state, reason),
      frame: (direction, bytes, nid, what) => cb.frame(line.id, direction, bytes, nid, what),
    }))
  }
  const pagers = new Map(config.pagers.map((p) => [p.id, p]))
  return {
    driverFor(pagerId: string): PagerDriver | undefined {
      const p = pagers.get(pagerId)
      if (!p) return undefined
      return p.line ? lines.get(p.line) : soft
    },
    addressOf: (pagerId: string) => pagers.get(pagerId)?.address ?? null,
    /** Pagers added, changed or disabled while running (issue 7); lines themselves need a restart. */
    setPagers(list: Readonly<GatewayConfig>['pagers']): void {
      pagers.clear()
      for (const p of list) pagers.set(p.id, p)
    },
    /** A pager without a line (the soft pager) is always up. */
    lineUp(pagerId: string): boolean {
      const p = pagers.get(pagerId)
      return !p?.line || lines.get(p.line)?.health() === 'up'
    },
    async close(): Promise<void> {
      await Promise.all([...lines.values(), soft].map((d) => d.close().catch(() => undefined)))
    },
  }
}
