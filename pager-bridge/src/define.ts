import type { z } from 'zod'
import type { LineHealth, Page, PagerDriver, PagerReport } from '../../gateway/src/core/pager.js'
import type { OpenPort } from './ports.js'

export type { Page, PagerDriver, SendResult, PagerReport, LineHealth } from '../../gateway/src/core/pager.js'

/** Minimal logger (pino-compatible). */
export interface DriverLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  debug(obj: object, msg: string): void
}

/** Everything external a driver may use, injected (serialport `binding` style). */
export interface DriverDeps {
  readonly lineId: string
  readonly log: DriverLog
  /** Open the line's port (serial device or tcp://). */
  readonly openPort?: OpenPort
  /** Soft pager only: push a page to the user's open screens; returns how many screens took it. */
  readonly pushToScreens?: (page: Page) => number
  /** A status the paging system reported about a page sent earlier. */
  readonly report: (notificationId: string, event: PagerReport, detail: Record<string, unknown>) => void
  /** The line went down or came back. */
  readonly lineHealth: (state: LineHealth, reason: string) => void
  /** A frame sent or received that belongs to a page (for the audit trail, as hex). */
  readonly frame: (direction: 'tx' | 'rx', bytes: Buffer, notificationId: string | null, what: string) => void
}

/** A pager protocol: one file in drivers/, key == file name == `protocol` in configuration. */
export interface PagerDriverDefinition<C> {
  readonly protocol: string
  /** True when pagers of this protocol sit on a configured line (serial/tcp) and have an address on it. */
  readonly usesLine: boolean
  /** Longest text this protocol carries (ESPA display message: 128). */
  readonly maxText: number
  readonly config: z.ZodType<C>
  create(cfg: C, deps: DriverDeps): PagerDriver
}

export function definePagerDriver<C>(def: PagerDriverDefinition<C>): PagerDriverDefinition<C> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.protocol)) throw new TypeError(`"protocol" must be a lower-case name, got '${def.protocol}'`)
  return Object.freeze(def)
}
