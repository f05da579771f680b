import type { PagerDriverDefinition } from './define.js'
import espa from './drivers/espa.js'
import soft from './drivers/soft.js'
import tap from './drivers/tap.js'

/** Every pager protocol, keyed by the `protocol` value in configuration. One line per file in drivers/. */
export const pagerDrivers: Readonly<Record<string, PagerDriverDefinition<unknown>>> = {
  soft: soft as PagerDriverDefinition<unknown>,
  espa: espa as PagerDriverDefinition<unknown>,
  tap: tap as PagerDriverDefinition<unknown>,
}

export type { Page, PagerDriver, SendResult, DriverDeps, PagerDriverDefinition } from './define.js'
export { openPort } from './ports.js'
export { EspaPanelInput, espaInputConfig, type EspaInputConfig, type PanelCall } from './inputs/espa-panel.js'
