import { stepRecipients } from '../routing/ladder.js'
import type { GatewayConfig, Report, SchemaContext } from './schema.js'

/** Cross-checks for the parts of the configuration that wire hardware and people together: inputs, lines, ladders. */
export function checkInputs(cfg: GatewayConfig, ctx: SchemaContext, report: Report): void {
  cfg.inputs.forEach((inp, i) => {
    if (!cfg.sites.some((s) => s.id === inp.site)) report(['inputs', i, 'site'], `unknown site '${inp.site}'`)
    const schema = ctx.inputProtocols.get(inp.protocol)
    if (!schema) return report(['inputs', i, 'protocol'], `unknown input protocol '${inp.protocol}' (known: ${[...ctx.inputProtocols.keys()].join(', ')})`)
    const { protocol: _p, ...settings } = inp
    const r = schema.safeParse(settings)
    if (!r.success) for (const issue of r.error.issues) report(['inputs', i, ...issue.path.map(String)], issue.message)
    const targets: [string, string][] = inp.protocol === 'espa'
      ? Object.entries((inp as { addresses?: Record<string, string> }).addresses ?? {})
      : Object.entries((inp as { channels?: Record<string, { device: string }> }).channels ?? {}).map(([ch, c]) => [ch, c.device])
    for (const [address, deviceId] of targets) {
      const d = cfg.devices.find((x) => x.id === deviceId)
      if (!d) report(['inputs', i, 'addresses', address], `unknown device '${deviceId}'`)
      else if (d.site !== inp.site) report(['inputs', i, 'addresses', address], `device '${deviceId}' is at site '${d.site}', not '${inp.site}'`)
    }
  })
}

export function checkLines(cfg: GatewayConfig, ctx: SchemaContext, report: Report): void {
  cfg.lines.forEach((l, i) => {
    if (!cfg.sites.some((s) => s.id === l.site)) report(['lines', i, 'site'], `unknown site '${l.site}'`)
    const proto = ctx.lineProtocols.get(l.protocol)
    if (!proto) return report(['lines', i, 'protocol'], `'${l.protocol}' is not a line protocol (known: ${[...ctx.lineProtocols.keys()].join(', ')})`)
    const { id: _id, protocol: _p, site: _s, alert_priority: _a, ...settings } = l
    const r = proto.schema.safeParse(settings)
    if (!r.success) for (const issue of r.error.issues) report(['lines', i, ...issue.path.map(String)], issue.message)
  })
}

/**
 * No configuration may produce a ladder with no next step: every ladder's last step (the one that repeats)
 * must be able to reach someone at each site where it applies, and each site/priority pair used by a rule
 * is checked, including the default ladder.
 */
export function checkLadders(cfg: GatewayConfig, report: Report): void {
  const seen = new Set<string>()
  cfg.escalation.forEach((l, i) => {
    const key = `${l.site}/${l.priority}`
    if (seen.has(key)) report(['escalation', i], `a second ladder for site '${l.site}' and priority '${l.priority}'`)
    seen.add(key)
    if (!cfg.sites.some((s) => s.id === l.site)) report(['escalation', i, 'site'], `unknown site '${l.site}'`)
  })
  for (const person of cfg.people) {
    for (const priority of new Set(person.rules.map((r) => r.priority))) {
      const i = cfg.escalation.findIndex((l) => l.site === person.site && l.priority === priority)
      const steps = i >= 0 ? cfg.escalation[i]!.steps : [{ to: 'assigned' as const, wait_s: 60 }, { to: 'all' as const, wait_s: 60 }]
      const last = steps[steps.length - 1]!
      if (stepRecipients(cfg, last.to, person.id, person.site, 0, true).length === 0) {
        const where = i >= 0 ? ['escalation', i, 'steps', steps.length - 1, 'to'] : ['people', cfg.people.indexOf(person), 'carers']
        report(where, `the ${i >= 0 ? '' : 'default '}ladder for ${person.site}/${priority} ends with '${last.to}', which can never reach anyone with a pager, so alerts for '${person.id}' would have no next step`)
      }
    }
  }
}
