import { createHash } from 'node:crypto'
import type { AuditLog } from '../core/contracts.js'
import { gatewayError } from '../core/errors.js'
import type { ConfigRepository, ConfigSource } from '../core/config-versions.js'
import { type Effective, effectiveConfig } from './effective.js'
import { type Issue, relativeToEntity, traceToDocument } from './issue-paths.js'
import { buildConfigSchema, type GatewayConfig, type SchemaContext } from './schema.js'
import { deepFreeze } from './load.js'
import { type EditableSection, entityKey, locate, sectionSchemas } from './sections.js'

/**
 * The versioned configuration (issue 7). The JSON file is the seed and the operator's escape hatch; every
 * version, from the file or from the web app, is a row in `config_versions`, and the highest is active.
 * Each change is validated as a whole document (shape and cross-references, on the document and on what
 * would run with disabled entities taken out), written with who, when and why, and audited as
 * `config.changed` with the entity before and after.
 */
export interface ConfigStoreDeps {
  readonly repo: ConfigRepository
  readonly ctx: SchemaContext
  readonly audit: Pick<AuditLog, 'append'>
  /** Runs `run` inside the single writer's transaction (store/group-commit.ts). */
  readonly transact: <T>(run: () => T) => Promise<T>
  readonly now: () => number
}

/** The active configuration: the document as stored, and what runs. */
export interface ActiveConfig {
  readonly version: number
  readonly document: GatewayConfig
  readonly effective: Effective
}

/** A change from the web app or the API. */
export interface ChangeRequest {
  readonly section: EditableSection
  readonly key: string
  /** The person, for rules. */
  readonly parent?: string
  readonly op: 'put' | 'disable' | 'enable'
  /** The whole entity, for `put`. */
  readonly entity?: unknown
  readonly note: string | null
  /** The version the change was made against (optimistic concurrency). */
  readonly baseVersion: number
  /** `user:<id>`. */
  readonly actor: string
  readonly source: Exclude<ConfigSource, 'file'>
}

export interface ChangeResult {
  readonly changed: boolean
  readonly version: number
  readonly created: boolean
  readonly before: unknown
  readonly after: unknown
  readonly previous: ActiveConfig
  readonly active: ActiveConfig
}

type Validated = { ok: true; document: GatewayConfig; effective: Effective } | { ok: false; issues: Issue[] }

/** Validate a whole document, then what would run once disabled entities are taken out; issues carry document paths. */
export function validateDocument(raw: unknown, ctx: SchemaContext): Validated {
  const schema = buildConfigSchema(ctx)
  const r = schema.safeParse(raw)
  if (!r.success) return { ok: false, issues: r.error.issues.map((i) => ({ path: i.path.map((k) => (typeof k === 'symbol' ? String(k) : k)), message: i.message })) }
  const effective = effectiveConfig(r.data)
  const e = schema.safeParse(effective.config)
  if (!e.success) return { ok: false, issues: e.error.issues.map((i) => ({ path: traceToDocument(r.data, effective.config, i.path as (string | number)[]), message: i.message })) }
  return { ok: true, document: r.data, effective: { config: deepFreeze(e.data), disabledDevices: effective.disabledDevices } }
}

const startupError = (source: string, issues: readonly Issue[]) => {
  const problems = issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
  return gatewayError('GW_ERR_CONFIG_INVALID', [source, problems.map((p) => `  - ${p}`).join('\n')], { problems })
}

/** sha256 of the file's bytes: a changed file is imported as a new version at start. */
export const fileHash = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * At start: import the file as a new version if there is none yet or the file changed since it was last
 * imported; otherwise the latest version (which may hold web-app changes) is active. Either way the active
 * document is validated again (device types and drivers may have changed with an upgrade); an invalid one
 * stops start-up with every `path: message`, as an invalid file always did.
 */
export async function openActiveConfig(deps: ConfigStoreDeps, file: { path: string; text: string }, changedBy: string, note: string | null): Promise<{ active: ActiveConfig; imported: boolean; supersededUiVersions: number }> {
  const hash = fileHash(file.text)
  const latest = deps.repo.latest()
  const lastImport = deps.repo.latestFromFile()
  if (latest && lastImport?.fileHash === hash) {
    const v = validateDocument(latest.document, deps.ctx)
    if (!v.ok) throw startupError(`stored configuration version ${latest.version}`, v.issues)
    return { active: { version: latest.version, document: v.document, effective: v.effective }, imported: false, supersededUiVersions: 0 }
  }
  let raw: unknown
  try {
    raw = JSON.parse(file.text)
  } catch (err) {
    throw startupError(file.path, [{ path: ['(file)'], message: `not valid JSON: ${(err as Error).message}` }])
  }
  const v = validateDocument(raw, deps.ctx)
  if (!v.ok) throw startupError(file.path, v.issues)
  const superseded = latest ? latest.version - (lastImport?.version ?? 0) : 0
  const version = await deps.transact(() => {
    const at = deps.now()
    const n = deps.repo.append({ at, changedBy, note, approvedBy: null, source: 'file', document: v.document, fileHash: hash, summary: { op: 'import', file: file.path, superseded_ui_versions: superseded } })
    deps.audit.append({ at, kind: 'config.changed', actor: changedBy, detail: { version: n, source: 'file', op: 'import', file: file.path, file_hash: hash, note, previous_version: latest?.version ?? null, superseded_ui_versions: superseded } })
    return n
  })
  return { active: { version, document: v.document, effective: v.effective }, imported: true, supersededUiVersions: superseded }
}

/** Changes through the web app and API, one version each. */
export function createConfigStore(deps: ConfigStoreDeps, initial: ActiveConfig) {
  let active = initial
  const label = (r: ChangeRequest) => (r.section === 'rules' ? `rule '${r.key}' of person '${r.parent}'` : `${r.section} '${r.key}'`)

  /** The document the change would produce, or the issues (entity-relative) that prevent it. */
  function propose(doc: GatewayConfig, r: ChangeRequest): { next: GatewayConfig; before: unknown; after: unknown; created: boolean; at: (string | number)[] } {
    const where = locate(doc, r.section, r.key, r.parent)
    if (!where) throw gatewayError('GW_ERR_CONFIG_NOT_FOUND', ['person', r.parent ?? ''])
    const before = where.index >= 0 ? where.list[where.index] : null
    let after: unknown
    if (r.op === 'put') {
      const shape = sectionSchemas[r.section].safeParse(r.entity)
      if (!shape.success) throw invalid(r, shape.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message })))
      after = shape.data
      const key = entityKey(r.section, after, where.index >= 0 ? where.index : where.list.length)
      if (key !== r.key) {
        const field = r.section === 'escalation' ? 'site' : r.section === 'rota' ? '' : 'id'
        const msg = r.section === 'rota' ? `a new shift goes at position ${where.list.length}, not ${r.key}` : where.index >= 0 ? `does not match the address '${r.key}'; ids cannot be renamed (add a new one and disable this one)` : `does not match the address '${r.key}'`
        throw invalid(r, [{ path: field ? [field] : [], message: msg }])
      }
    } else {
      if (!before) throw gatewayError('GW_ERR_CONFIG_NOT_FOUND', [r.section === 'rules' ? `rule of '${r.parent}'` : r.section, r.key])
      const { disabled: _d, ...rest } = before as { disabled?: boolean }
      after = r.op === 'disable' ? { ...rest, disabled: true } : rest
    }
    const next = structuredClone(doc) as GatewayConfig
    const list = (r.section === 'rules' ? next.people[where.personIndex!]!.rules : next[r.section]) as unknown[]
    if (where.index >= 0) list[where.index] = after
    else list.push(after)
    return { next, before, after, created: where.index < 0, at: where.path }
  }

  const invalid = (r: ChangeRequest, issues: readonly Issue[]) =>
    gatewayError('GW_ERR_CONFIG_CHANGE_INVALID', [label(r), issues.map((i) => `${i.path.length ? i.path.join('.') : '(entity)'}: ${i.message}`).join('; ')], { issues })

  return {
    /** The active configuration. */
    active: () => active,

    /** Validate and save one change as a new version; nothing is saved if it is stale or invalid. */
    async change(r: ChangeRequest): Promise<ChangeResult> {
      const base = active
      if (r.baseVersion !== base.version) throw stale(r.baseVersion)
      const p = propose(base.document, r)
      const v = validateDocument(p.next, deps.ctx)
      if (!v.ok) throw invalid(r, relativeToEntity(p.next, p.at, v.issues))
      const after = r.section === 'rules' ? v.document.people[p.at[1] as number]!.rules[p.at[3] as number] : (v.document[r.section] as unknown[])[p.at[1] as number]
      if (JSON.stringify(after) === JSON.stringify(p.before)) return { changed: false, version: base.version, created: false, before: p.before, after, previous: base, active: base }
      const person = r.section === 'rules' ? r.parent : r.section === 'people' ? r.key : r.section === 'devices' ? (after as { person: string }).person : null
      const version = await deps.transact(() => {
        // Checked again inside the single writer: two admins saving at once cannot both win.
        const latest = deps.repo.latest()
        if (latest && latest.version !== r.baseVersion) throw stale(r.baseVersion, latest)
        const at = deps.now()
        const summary = { section: r.section, key: r.key, ...(r.parent ? { person: r.parent } : {}), op: r.op === 'put' ? (p.created ? 'create' : 'replace') : r.op }
        const n = deps.repo.append({ at, changedBy: r.actor, note: r.note, approvedBy: null, source: r.source, document: v.document, fileHash: null, summary })
        deps.audit.append({ at, kind: 'config.changed', actor: r.actor, personId: person ?? null, deviceId: r.section === 'devices' ? r.key : null, detail: { version: n, previous_version: r.baseVersion, source: r.source, ...summary, note: r.note, before: p.before, after } })
        return n
      })
      active = { version, document: v.document, effective: v.effective }
      return { changed: true, version, created: p.created, before: p.before, after, previous: base, active }
    },
  }

  function stale(baseVersion: number, latest?: { version: number; changedBy: string }) {
    const l = latest ?? deps.repo.latest()
    return gatewayError('GW_ERR_CONFIG_STALE_VERSION', [baseVersion, l?.version ?? active.version, l?.changedBy ?? '?'], { base_version: baseVersion, active_version: l?.version ?? active.version })
  }
}

export type ConfigStore = ReturnType<typeof createConfigStore>
