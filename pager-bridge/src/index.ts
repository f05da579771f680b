import type { PagerDriverDefinition } from './define.js'
import soft from './drivers/soft.js'

/** Every pager protocol, keyed by the `protocol` value in configuration. One line per file in drivers/. */
export const pagerDrivers: Readonly<Record<string, PagerDriverDefinition<unknown>>> = {
  soft: soft as PagerDriverDefinition<unknown>,
}

export type { Page, PagerDriver, SendResult, DriverDeps } from './define.js'
