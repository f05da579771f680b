import { z } from 'zod'
import type { ConfigIndex } from '../config/config-index.js'
import type { ChangeRequest, ChangeResult, ConfigStore } from '../config/config-store.js'
import { restrictionKinds, type GatewayConfig, type SchemaContext } from '../config/schema.js'
import { type EditableSection, editableSections, fileOnlySections, locate } from '../config/sections.js'
import { priorities } from '../core/alert.js'
import { gatewayError, isGatewayError } from '../core/errors.js'
import { stepTargets, weekdays } from '../routing/escalation-config.js'
import { ruleSchema } from '../rules/rule-config.js'
import type { ConfigRepository, ConfigVersionSummary } from '../core/config-versions.js'
import { readJsonBody, sendJson } from './http-util.js'
import { oversightRoles, requireRole, type Route } from './router.js'

export interface ConfigApiDeps {
  readonly index: ConfigIndex
  readonly store: Pick<ConfigStore, 'active'>
  readonly repo: Pick<ConfigRepository, 'get' | 'list' | 'latest'>
  readonly ctx: SchemaContext
  /** Validate, save and apply (compose/config-apply.ts). */
  readonly change: (r: ChangeRequest) => Promise<ChangeResult & { applied: { device_secret?: string; rule_versions_recorded: number } | null }>
  /** Audit a refused change (`command.refused`) with the actor and every issue. */
  readonly refused: (actor: string, what: string, code: string, reason: string, issues: unknown) => void
}

const changeBody = z.object({
  entity: z.unknown().optional(),
  /** Why, or the approval reference; stored with the version and in the audit row. */
  note: z.string().trim().max(500).optional(),
  /** The version the client edited; a stale one is refused (409). */
  base_version: z.number().int().min(1),
  /** `ui` from the web app; anything else is recorded as `api`. */
  source: z.enum(['ui', 'api']).optional(),
}).strict()

const key = '([A-Za-z0-9][A-Za-z0-9._-]{0,79})'
const section = `(${editableSections.filter((s) => s !== 'rules').join('|')})`
const iso = (t: number) => new Date(t).toISOString()
const versionView = (v: ConfigVersionSummary) => ({ version: v.version, at: iso(v.at), changed_by: v.changedBy, note: v.note, approved_by: v.approvedBy, source: v.source, summary: v.summary })

/** What a stored version changed, entity before and after (null for file imports). */
function changeOf(prev: GatewayConfig | null, doc: GatewayConfig, summary: Readonly<Record<string, unknown>>): { before: unknown; after: unknown } | null {
  const s = summary.section as EditableSection | undefined
  if (!s || typeof summary.key !== 'string') return null
  const pick = (d: GatewayConfig | null) => {
    const at = d ? locate(d, s, summary.key as string, summary.person as string | undefined) : null
    return at && at.index >= 0 ? at.list[at.index] : null
  }
  return { before: pick(prev), after: pick(doc) }
}

/**
 * The AT team's configuration API (issue 7, docs/api.md): read for the oversight roles, change for AT admins.
 * A change names the version it was made against and is validated as a whole configuration; issues come back
 * with paths relative to the entity, so the page can put each message next to its field.
 */
export function createConfigApi(deps: ConfigApiDeps): Route[] {
  const read = (userId: string) => requireRole(deps.index, userId, oversightRoles, 'read the configuration')
  const write = (userId: string, what: string) => requireRole(deps.index, userId, ['at_admin'], what)

  async function changeRoute(req: Parameters<Route[2]>[0], userId: string, r: Omit<ChangeRequest, 'note' | 'baseVersion' | 'actor' | 'source' | 'entity'>) {
    const what = `${r.op} ${r.section === 'rules' ? `people/${r.parent}/rules` : r.section}/${r.key}`
    write(userId, 'change the configuration')
    try {
      const raw = await readJsonBody(req, 256 * 1024)
      const b = changeBody.safeParse(raw)
      if (!b.success) {
        const issues = b.error.issues.map((i) => ({ path: i.path, message: i.message }))
        throw gatewayError('GW_ERR_API_BAD_REQUEST', [issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')], { issues })
      }
      if (r.op === 'put' && b.data.entity === undefined) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['entity: the whole entity is required'], { issues: [{ path: ['entity'], message: 'required' }] })
      return await deps.change({ ...r, entity: b.data.entity, note: b.data.note || null, baseVersion: b.data.base_version, actor: `user:${userId}`, source: b.data.source ?? 'api' })
    } catch (err) {
      if (isGatewayError(err)) deps.refused(`user:${userId}`, what, err.code, err.message, err.details.issues ?? null)
      throw err
    }
  }

  const respond = (res: Parameters<Route[2]>[1], out: Awaited<ReturnType<ConfigApiDeps['change']>>) =>
    sendJson(res, out.created ? 201 : 200, {
      version: out.version, changed: out.changed, created: out.created, before: out.before, after: out.after,
      ...(out.applied?.device_secret ? { device_secret: out.applied.device_secret, device_secret_note: 'shown once; store it only in the device' } : {}),
      rule_versions_recorded: out.applied?.rule_versions_recorded ?? 0,
    })

  return [
    ['GET', /^\/api\/config$/, (_req, res, userId) => {
      read(userId)
      const a = deps.store.active()
      const v = deps.repo.get(a.version)
      sendJson(res, 200, {
        version: a.version, at: v ? iso(v.at) : null, changed_by: v?.changedBy ?? null, note: v?.note ?? null, document: a.document,
        editable_sections: editableSections, file_only_sections: fileOnlySections,
        disabled_devices: Object.fromEntries([...a.effective.disabledDevices].map(([id, d]) => [id, d.reason])),
      })
    }],
    ['GET', /^\/api\/config\/context$/, (_req, res, userId) => {
      read(userId)
      const cfg = deps.store.active().document
      sendJson(res, 200, {
        device_types: [...deps.ctx.deviceTypes].map(([id, events]) => ({ id, events, family: deps.ctx.deviceFamilies?.get(id) ?? null })),
        pager_protocols: deps.ctx.pagerProtocols.map((p) => ({ id: p, uses_line: deps.ctx.lineProtocols.has(p), max_text: deps.ctx.lineProtocols.get(p)?.maxText ?? null })),
        lines: cfg.lines.map((l) => ({ id: l.id, protocol: l.protocol, site: l.site })),
        sites: cfg.sites.map((s) => ({ id: s.id, timezone: s.timezone })),
        bridges: cfg.zigbee2mqtt.map((b) => ({ id: b.id, site: b.site })),
        users: cfg.users.map((u) => ({ id: u.id, role: u.role, display_name: u.display_name, disabled: u.disabled === true })),
        restrictions: restrictionKinds, priorities, step_targets: stepTargets, weekdays,
        rule_kinds: ruleSchema.options.map((o) => o.shape.kind.value),
      })
    }],
    ['GET', /^\/api\/config\/versions$/, (_req, res, userId, _p, url) => {
      read(userId)
      const limit = Number(url.searchParams.get('limit') ?? 50)
      const before = url.searchParams.get('before')
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['limit: must be an integer from 1 to 500'])
      if (before !== null && !/^\d{1,12}$/.test(before)) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['before: must be a version number'])
      sendJson(res, 200, { versions: deps.repo.list(limit, before === null ? undefined : Number(before)).map(versionView) })
    }],
    ['GET', /^\/api\/config\/versions\/(\d{1,12})$/, (_req, res, userId, [n]) => {
      read(userId)
      const v = deps.repo.get(Number(n))
      if (!v) throw gatewayError('GW_ERR_CONFIG_NOT_FOUND', ['version', n])
      const prev = v.version > 1 ? (deps.repo.get(v.version - 1)?.document as GatewayConfig | undefined) ?? null : null
      sendJson(res, 200, { ...versionView(v), document: v.document, change: changeOf(prev, v.document as GatewayConfig, v.summary) })
    }],
    ['PUT', new RegExp(`^/api/config/people/${key}/rules/${key}$`), async (req, res, userId, [person, rule]) => {
      respond(res, await changeRoute(req, userId, { section: 'rules', parent: person!, key: rule!, op: 'put' }))
    }],
    ['POST', new RegExp(`^/api/config/people/${key}/rules/${key}/(disable|enable)$`), async (req, res, userId, [person, rule, op]) => {
      respond(res, await changeRoute(req, userId, { section: 'rules', parent: person!, key: rule!, op: op as 'disable' | 'enable' }))
    }],
    ['PUT', new RegExp(`^/api/config/${section}/${key}$`), async (req, res, userId, [s, k]) => {
      respond(res, await changeRoute(req, userId, { section: s as EditableSection, key: k!, op: 'put' }))
    }],
    ['POST', new RegExp(`^/api/config/${section}/${key}/(disable|enable)$`), async (req, res, userId, [s, k, op]) => {
      respond(res, await changeRoute(req, userId, { section: s as EditableSection, key: k!, op: op as 'disable' | 'enable' }))
    }],
  ]
}
