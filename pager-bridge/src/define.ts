import type { z } from 'zod'

import type { Page, PagerDriver } from '../../gateway/src/core/pager.js'

export type { Page, PagerDriver, SendResult } from '../../gateway/src/core/pager.js'

/** Everything external a driver may use, injected (serialport `binding` style). */
export interface DriverDeps {
  /** Soft pager only: push a page to the user's open screens; returns how many screens took it. */
  readonly pushToScreens?: (page: Page) => number
}

/** A pager protocol: one file in drivers/, key == file name == `pagers[].protocol` in configuration. */
export interface PagerDriverDefinition<C> {
  readonly protocol: string
  readonly config: z.ZodType<C>
  create(cfg: C, deps: DriverDeps): PagerDriver
}

export function definePagerDriver<C>(def: PagerDriverDefinition<C>): PagerDriverDefinition<C> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.protocol)) throw new TypeError(`"protocol" must be a lower-case name, got '${def.protocol}'`)
  return Object.freeze(def)
}
