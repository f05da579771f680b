import { deviceAdapters } from '../../device-adapters/src/index.js'
import { espaInputConfig, pagerDrivers } from '../../pager-bridge/src/index.js'
import type { SchemaContext } from './config/schema.js'

/** The configuration schema's view of the registries: device types and their events, pager protocols. */
export const registryContext: SchemaContext = {
  deviceTypes: new Map(deviceAdapters.map((a) => [a.id, Object.keys(a.events)])),
  pagerProtocols: Object.keys(pagerDrivers),
  inputProtocols: new Map([['espa', espaInputConfig]]),
  lineProtocols: new Map(Object.values(pagerDrivers).filter((d) => d.usesLine).map((d) => [d.protocol, { schema: d.config, maxText: d.maxText }])),
}
