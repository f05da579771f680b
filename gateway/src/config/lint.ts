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
  for (const person of cfg.people) {
    const hasDevice = cfg.devices.some((d) => d.person === person.id)
    if (hasDevice && person.rules.length === 0) warnings.push(`people: '${person.id}' has devices but no rules, so nothing they send can raise an alert`)
  }
  return warnings
}
