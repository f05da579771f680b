import { contactModuleConfig, deviceAdapters } from '../../device-adapters/src/index.js'
import { espaInputConfig, pagerDrivers } from '../../pager-bridge/src/index.js'
import type { SchemaContext } from './config/schema.js'

/** The configuration schema's view of the registries: device types and their events, pager protocols. */
export const registryContext: SchemaContext = {
  deviceTypes: new Map(deviceAdapters.map((a) => [a.id, Object.keys(a.events)])),
  deviceFamilies: new Map(deviceAdapters.map((a) => [a.id, a.family])),
  pagerProtocols: Object.keys(pagerDrivers),
  inputProtocols: new Map<string, typeof espaInputConfig | typeof contactModuleConfig>([['espa', espaInputConfig], ['contact-module', contactModuleConfig]]),
  lineProtocols: new Map(Object.values(pagerDrivers).filter((d) => d.usesLine).map((d) => [d.protocol, { schema: d.config, maxText: d.maxText }])),
}
