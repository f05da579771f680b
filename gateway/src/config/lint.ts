import { uncoveredPeriods } from '../routing/rota.js'
import type { GatewayConfig } from './schema.js'

/**
 * Problems that do not stop start-up but that the AT team must see (product.md: "a lint pass"): periods
 * when a site with a rota has no carer on shift. Alerts then still reach the ladder's `all` step, which
 * ignores shifts, but nobody is expected to be there. Reported at start in the log and the audit trail.
 */
export function lintConfig(cfg: Readonly<GatewayConfig>): string[] {
  const warnings: string[] = []
  const carers = new Set(cfg.users.filter((u) => u.role === 'carer').map((u) => u.id))
  for (const site of cfg.sites) {
    if (!cfg.rota.some((s) => s.site === site.id)) continue
    const gaps = uncoveredPeriods(cfg.rota, site.id, carers)
    if (gaps.length) warnings.push(`rota: site '${site.id}' has no carer on shift ${gaps.join(', ')} (local time, ${site.timezone})`)
  }
  // One line for all of them: a site of 500 supervised sensors should not print 500 warnings.
  const withDevices = new Set(cfg.devices.map((d) => d.person))
  const ruleless = cfg.people.filter((p) => withDevices.has(p.id) && p.rules.length === 0).map((p) => p.id)
  if (ruleless.length) warnings.push(`people: ${ruleless.length} with devices but no rules (only technical alerts can be raised for them): ${ruleless.slice(0, 10).join(', ')}${ruleless.length > 10 ? ', …' : ''}`)
  return warnings
}
