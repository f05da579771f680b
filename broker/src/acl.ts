/**
 * Who may publish and subscribe where (reliability-security.md §4.1, protocols.md §6.1). The broker asks an
 * injected policy, mosquitto `pattern write` style, so the rules live with the gateway's configuration.
 */
export interface TopicAcl {
  /** May `principal` publish to `topic`? Also asked for a CONNECT's will, which is refused with CONNACK 5 when not. */
  mayPublish(principal: string, topic: string): boolean
  /** May `principal` subscribe to `filter` (which may hold `+` and `#`)? */
  maySubscribe(principal: string, filter: string): boolean
}

export interface TopicAclOptions {
  /** The principal that may publish and subscribe anywhere outside `$` topics: the gateway's own client. Default 'gateway'. */
  readonly gateway?: string
  /** zigbee2mqtt bridge principals and their base topics (`{ 'z2m-oak': 'zigbee2mqtt' }`): a bridge stays under its base. Default none. */
  readonly bridges?: Readonly<Record<string, string>>
  /** The site of a device; when given, a device is held to `care/<its site>/…` and an unknown one (undefined) to nothing. Default: any site. */
  readonly siteOf?: (principal: string) => string | undefined
}

/** Only the gateway publishes alerts, commands and its own status. */
const gatewayOnly = /^care\/[^/]*\/(alert|command|gateway)(\/|$)/

/** A name that cannot smuggle a level separator or a wildcard into a pattern. */
const safeName = (s: string) => s.length > 0 && !/[\/+#\u0000]/.test(s) && !s.startsWith('$')

const under = (topic: string, base: string) => topic === base || topic.startsWith(`${base}/`)

/**
 * The default policy:
 * - nobody publishes to `$` topics (`$SYS`), and nobody but the gateway under `care/+/alert|command|gateway/…`;
 * - a device publishes only below `care/<site>/device/<its id>/`;
 * - a bridge publishes and subscribes only under its base topic;
 * - a device subscribes only to literal `care/<site>/device|command/<its id>[/…]` (wildcards below that) and to
 *   `care/<site>/gateway/status`: never `#`, `+` at the top, or another device's topics.
 */
export function createTopicAcl(opts: TopicAclOptions = {}): TopicAcl {
  const gateway = opts.gateway ?? 'gateway'
  const bridges = new Map(Object.entries(opts.bridges ?? {}))
  for (const [principal, base] of bridges) {
    if (!base.split('/').every(safeName) || base.startsWith('care/') || base === 'care') {
      throw new TypeError(`"bridges.${principal}": base topic '${base}' must be literal levels, not under care/ or $`)
    }
  }

  /** True when `site` is a literal level and, given `siteOf`, this device's own site. */
  function siteLevel(principal: string, site: string | undefined): boolean {
    if (site === undefined || !safeName(site)) return false
    return opts.siteOf ? opts.siteOf(principal) === site : true
  }

  return {
    mayPublish(principal, topic) {
      if (topic.startsWith('$')) return false
      if (principal === gateway) return true
      if (gatewayOnly.test(topic)) return false
      const base = bridges.get(principal)
      if (base !== undefined) return under(topic, base)
      const [care, site, device, id, ...rest] = topic.split('/')
      return safeName(principal) && care === 'care' && device === 'device' && id === principal && rest.length > 0 && siteLevel(principal, site)
    },

    maySubscribe(principal, filter) {
      if (filter.startsWith('$')) return false
      if (principal === gateway) return true
      const base = bridges.get(principal)
      if (base !== undefined) return under(filter, base)
      if (!safeName(principal)) return false
      const [care, site, kind, id, ...rest] = filter.split('/')
      if (care !== 'care' || !siteLevel(principal, site)) return false
      if (kind === 'gateway') return id === 'status' && rest.length === 0
      return (kind === 'device' || kind === 'command') && id === principal
    },
  }
}
