import { type ConfigIndex, userMaySee } from '../config/config-index.js'
import type { AlertState } from '../core/alert.js'
import { type AlertOutcome, alertOutcomes, alertStates } from '../core/alert.js'
import type { AlertRepository, AuditLog, NotificationRepository, RuleVersionRepository, SuppressionRepository } from '../core/contracts.js'
import { type Suppression, type SuppressionKind, suppressionKinds } from '../core/suppression.js'
import { z } from 'zod'
import { gatewayError } from '../core/errors.js'
import type { AckChannel } from '../lifecycle/alert-service.js'
import { openAlertStates } from '../lifecycle/transitions.js'
import { parseBody, readJsonBody, sendJson } from './http-util.js'
import { alertView, auditView, notificationView } from './views.js'
import { canSeeAlert } from './visibility.js'
import { oversightRoles, type Route } from './router.js'

export interface ApiDeps {
  readonly index: ConfigIndex
  readonly alerts: AlertRepository
  readonly notifications: NotificationRepository
  readonly audit: AuditLog
  readonly suppressions: SuppressionRepository
  readonly ruleVersions: RuleVersionRepository
  readonly accept: (alertId: string, userId: string, via: AckChannel) => Promise<unknown>
  readonly decline: (alertId: string, userId: string, via: AckChannel) => Promise<unknown>
  readonly resolve: (alertId: string, userId: string) => Promise<unknown>
  readonly close: (alertId: string, userId: string, outcome: AlertOutcome, note: string | null) => Promise<unknown>
  readonly suppress: (userId: string, input: { kind: SuppressionKind; person_id?: string; device_id?: string; reason: string; expiresAt: number }) => Promise<Suppression>
  readonly unsuppress: (userId: string, id: string) => Promise<void>
  readonly replay: (userId: string, body: unknown) => Promise<unknown>
  readonly now: () => number
  readonly metrics: () => string
  readonly rotateDevice: (userId: string, deviceId: string) => Promise<string>
  readonly revokeDevice: (userId: string, deviceId: string) => Promise<void>
  /** Supervision's view of a device. */
  readonly deviceHealth: (deviceId: string) => { lastSeen: number | null; online: boolean; battery: number | null }
}

const suppressionBody = z
  .object({
    kind: z.enum(suppressionKinds),
    person_id: z.string().optional(),
    device_id: z.string().optional(),
    reason: z.string().min(1).max(200),
    /** How long, in seconds (at most 14 days); or `until`. */
    duration_s: z.number().int().min(60).max(14 * 86_400).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((b) => (b.person_id === undefined) !== (b.device_id === undefined), { message: 'give exactly one of person_id or device_id' })
  .refine((b) => (b.duration_s === undefined) !== (b.until === undefined), { message: 'give exactly one of duration_s or until' })

const closeBody = z.object({ outcome: z.enum(alertOutcomes), note: z.string().max(500).optional() }).strict()

const suppressionView = (s: Suppression) => ({
  id: s.id, kind: s.kind, scope: s.scope, target: s.target, reason: s.reason, set_by: s.setBy,
  set_at: new Date(s.setAt).toISOString(), expires_at: new Date(s.expiresAt).toISOString(),
  cleared_at: s.clearedAt === null ? null : new Date(s.clearedAt).toISOString(), cleared_by: s.clearedBy,
})

/** Roles allowed to read the audit trail and metrics. */
const oversight = new Set<string>(oversightRoles)

/**
 * The core HTTP API routes (docs/api.md): alerts, audit timelines, devices, suppressions, rules, replay,
 * metrics. Every route requires an authenticated user; the route decides what that user's role may see
 * or do. Other features add their own route tables (see router.ts).
 */
export function createApi(deps: ApiDeps): Route[] {
  const { index } = deps
  const role = (userId: string) => index.users.get(userId)?.role

  function visibleAlert(id: string, userId: string) {
    const alert = deps.alerts.get(id)
    if (!alert) throw gatewayError('GW_ERR_ALERT_NOT_FOUND', [id])
    // Someone else's alert is answered as not found (its existence is not revealed) but audited as refused.
    if (!canSeeAlert(index, deps.notifications, userId, alert)) throw Object.assign(gatewayError('GW_ERR_ALERT_NOT_FOUND', [id]), { refusedAccess: true })
    return alert
  }

  const routes: Route[] = [
    ['GET', /^\/api\/alerts$/, (_req, res, userId, _p, url) => {
      const state = url.searchParams.get('state') ?? 'all'
      let states: readonly AlertState[] | undefined
      if (state === 'open') states = openAlertStates
      else if (state !== 'all') {
        if (!(alertStates as readonly string[]).includes(state)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`state must be open, all or one of ${alertStates.join(', ')}`])
        states = [state as AlertState]
      }
      const limit = Number(url.searchParams.get('limit') ?? 100)
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['limit must be an integer from 1 to 1000'])
      const list = deps.alerts.list({ states, limit }).filter((a) => canSeeAlert(index, deps.notifications, userId, a))
      sendJson(res, 200, { alerts: list.map((a) => alertView(index, a)) })
    }],
    ['GET', /^\/api\/alerts\/([A-Za-z0-9_-]{1,64})$/, (_req, res, userId, [id]) => {
      const alert = visibleAlert(id!, userId)
      sendJson(res, 200, { alert: alertView(index, alert), notifications: deps.notifications.forAlert(alert.id).map(notificationView) })
    }],
    ['POST', /^\/api\/alerts\/([A-Za-z0-9_-]{1,64})\/accept$/, async (req, res, userId, [id]) => {
      await readJsonBody(req)
      visibleAlert(id!, userId)
      await deps.accept(id!, userId, 'api')
      sendJson(res, 200, { alert: alertView(index, deps.alerts.get(id!)!) })
    }],
    ['POST', /^\/api\/alerts\/([A-Za-z0-9_-]{1,64})\/decline$/, async (req, res, userId, [id]) => {
      await readJsonBody(req)
      visibleAlert(id!, userId)
      await deps.decline(id!, userId, 'api')
      sendJson(res, 200, { alert: alertView(index, deps.alerts.get(id!)!) })
    }],
    ['POST', /^\/api\/alerts\/([A-Za-z0-9_-]{1,64})\/resolve$/, async (req, res, userId, [id]) => {
      await readJsonBody(req)
      visibleAlert(id!, userId)
      await deps.resolve(id!, userId)
      sendJson(res, 200, { alert: alertView(index, deps.alerts.get(id!)!) })
    }],
    ['POST', /^\/api\/alerts\/([A-Za-z0-9_-]{1,64})\/close$/, async (req, res, userId, [id]) => {
      const b = parseBody(closeBody, await readJsonBody(req))
      visibleAlert(id!, userId)
      await deps.close(id!, userId, b.outcome, b.note ?? null)
      sendJson(res, 200, { alert: alertView(index, deps.alerts.get(id!)!) })
    }],
    ['GET', /^\/api\/audit$/, (_req, res, userId, _p, url) => {
      const alertId = url.searchParams.get('alert')
      if (alertId) {
        visibleAlert(alertId, userId)
        return sendJson(res, 200, { alert_id: alertId, timeline: deps.audit.forAlert(alertId).map(auditView) })
      }
      // Searching the whole trail is for oversight roles; a carer sees only their alerts' timelines.
      if (!oversight.has(role(userId) ?? '')) throw gatewayError('GW_ERR_AUTH_FORBIDDEN', ['your role may read only the timelines of your own alerts (use ?alert=<id>)'])
      const limit = Number(url.searchParams.get('limit') ?? 100)
      const afterSeq = Number(url.searchParams.get('after') ?? 0)
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['limit must be an integer from 1 to 1000'])
      if (!Number.isInteger(afterSeq) || afterSeq < 0) throw gatewayError('GW_ERR_API_BAD_REQUEST', ['after must be a non-negative integer audit seq'])
      const rows = deps.audit.search({ kind: url.searchParams.get('kind') ?? undefined, deviceId: url.searchParams.get('device') ?? undefined, afterSeq, limit })
      sendJson(res, 200, { entries: rows.map(auditView) })
    }],
    ['GET', /^\/api\/devices$/, (_req, res, userId) => {
      const open = deps.alerts.list({ states: openAlertStates, limit: 1000 }).filter((a) => a.kind === 'technical' && a.deviceId)
      const devices = index.config.devices.filter((d) => userMaySee(index, userId, d.person)).map((d) => {
        const h = deps.deviceHealth(d.id)
        return {
          id: d.id, type: d.type, site_id: d.site, person_id: d.person, room_code: index.people.get(d.person)?.room_code ?? null,
          last_seen: h.lastSeen === null ? null : new Date(h.lastSeen).toISOString(), online: h.online, battery: h.battery,
          open_technical_alerts: open.filter((a) => a.deviceId === d.id).map((a) => ({ id: a.id, alert_class: a.alertClass, state: a.state, raised_at: new Date(a.raisedAt).toISOString() })),
        }
      })
      sendJson(res, 200, { devices })
    }],
    ['POST', /^\/api\/devices\/([A-Za-z0-9_-]{1,64})\/credentials$/, async (req, res, userId, [id]) => {
      await readJsonBody(req)
      const secret = await deps.rotateDevice(userId, id!)
      sendJson(res, 201, { device_id: id, secret, note: 'shown once; store it only in the device' })
    }],
    ['DELETE', /^\/api\/devices\/([A-Za-z0-9_-]{1,64})\/credentials$/, async (_req, res, userId, [id]) => {
      await deps.revokeDevice(userId, id!)
      sendJson(res, 200, { device_id: id, revoked: true })
    }],
    ['GET', /^\/api\/suppressions$/, (_req, res, userId) => {
      const now = deps.now()
      const list = deps.suppressions.overlapping(now, now).filter((s) => {
        const personId = s.scope === 'person' ? s.target : index.devices.get(s.target)?.person
        return personId !== undefined && userMaySee(index, userId, personId)
      })
      sendJson(res, 200, { suppressions: list.map(suppressionView) })
    }],
    ['POST', /^\/api\/suppressions$/, async (req, res, userId) => {
      const b = parseBody(suppressionBody, await readJsonBody(req))
      const expiresAt = b.until ? Date.parse(b.until) : deps.now() + b.duration_s! * 1000
      const s = await deps.suppress(userId, { kind: b.kind, person_id: b.person_id, device_id: b.device_id, reason: b.reason, expiresAt })
      sendJson(res, 201, { suppression: suppressionView(s) })
    }],
    ['DELETE', /^\/api\/suppressions\/([A-Za-z0-9_-]{1,80})$/, async (_req, res, userId, [id]) => {
      await deps.unsuppress(userId, id!)
      sendJson(res, 200, { suppression: suppressionView(deps.suppressions.get(id!)!) })
    }],
    ['GET', /^\/api\/rules\/history$/, (_req, res, userId, _p, url) => {
      if (!oversight.has(role(userId) ?? '')) throw gatewayError('GW_ERR_AUTH_FORBIDDEN', ['your role may not read rule history'])
      const person = url.searchParams.get('person') ?? undefined
      sendJson(res, 200, { versions: deps.ruleVersions.history(person).map((v) => ({ person_id: v.personId, rule_id: v.ruleId, version: v.version, rule: v.rule, changed_by: v.changedBy, changed_at: new Date(v.changedAt).toISOString(), note: v.note })) })
    }],
    ['POST', /^\/api\/replay$/, async (req, res, userId) => {
      if (!['team_leader', 'at_admin'].includes(role(userId) ?? '')) throw gatewayError('GW_ERR_AUTH_FORBIDDEN', ['only team leaders and AT admins may run a replay'])
      sendJson(res, 200, await deps.replay(userId, await readJsonBody(req, 256 * 1024)))
    }],
    ['GET', /^\/metrics$/, (_req, res, userId) => {
      if (!oversight.has(role(userId) ?? '')) throw gatewayError('GW_ERR_AUTH_FORBIDDEN', ['your role may not read metrics'])
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      res.end(deps.metrics())
    }],
  ]

  return routes
}
