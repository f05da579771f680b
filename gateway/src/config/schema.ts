// The namespace, not `{ z }`: the admin page bundles these schemas, and only this form lets esbuild drop zod's locales.
import * as z from 'zod'
import { isValidId } from '../core/topics.js'
import { ladderSchema, shiftSchema } from '../routing/escalation-config.js'
import { checkInputs, checkLadders, checkLines } from './cross-checks.js'
import { eventsNeeded, type RuleConfig, ruleSchema, ruleSelfProblems } from '../rules/rule-config.js'
import { retentionSchema } from '../privacy/retention-config.js'

/**
 * The configuration file's schema: sites, people, devices, rules, users and pagers in one JSON file.
 * Keys are snake_case (house-style §2.7). Cross-references are checked in `superRefine` with messages
 * that say what to fix. The set of device types and pager protocols is passed in from the registries,
 * so this file never imports an adapter or a driver.
 */
export interface SchemaContext {
  /** Device type id → event types it can send. */
  readonly deviceTypes: ReadonlyMap<string, readonly string[]>
  /** Device type id → wire family (zigbee2mqtt devices need a `z2m` block, others must not have one). */
  readonly deviceFamilies?: ReadonlyMap<string, string>
  /** Pager protocols with a driver. */
  readonly pagerProtocols: readonly string[]
  /** Per protocol that runs on a line: the driver's own zod schema for the line settings, and its text limit. */
  readonly lineProtocols: ReadonlyMap<string, { readonly schema: z.ZodType<unknown>; readonly maxText: number }>
  /** Per input protocol (nurse-call panels): the input's own zod schema. */
  readonly inputProtocols: ReadonlyMap<string, z.ZodType<unknown>>
}

const id = z.string().refine(isValidId, 'must be 1–64 characters of a-z, 0-9, "-" and "_", starting with a letter or digit')

const site = z.object({
  id,
  /** IANA time zone used for local-time rules and reports. */
  timezone: z.string().default('Europe/London'),
}).strict()

/**
 * What must never happen near a person (the AT team's assessment), e.g. no in-room sounder for someone an
 * alarm would distress. No output the gateway drives today is in a room, so these are recorded, shown to
 * staff and checked by any future in-room output; the list is closed so a typo cannot silently mean nothing.
 */
export const restrictionKinds = ['no_in_room_sounder', 'no_voice_announcement', 'no_flashing_light'] as const

/** Set by the AT team to take an entity out of service without deleting it: the running gateway treats it as absent. */
const disabled = z.boolean().optional()

const person = z.object({
  id,
  site: id,
  /** The room code shown on pagers, e.g. "R12". Never the person's name. `(erased)` after a subject erasure (issue 8). */
  room_code: z.string().min(1).max(12).regex(/^([A-Za-z0-9 .-]+|\(erased\))$/, 'room codes are short letters/digits, e.g. "R12"'),
  /** Pager text template; placeholders {room_code} and {alert_class} only (no free text about the person). */
  pager_template: z.string().min(1).max(80).default('{room_code} {alert_class}'),
  /** Users responsible for this person; alerts go to their pagers. */
  carers: z.array(id).min(1, 'every person needs at least one carer, or their alerts have nobody to go to'),
  rules: z.array(ruleSchema).default([]),
  /** How long a "carer present" suppression from a presence button lasts if nobody presses "left". */
  presence_timeout_s: z.number().int().min(60).max(86_400).default(1800),
  restrictions: z.array(z.enum(restrictionKinds)).optional(),
  disabled,
}).strict()

const device = z.object({
  id,
  type: z.string().min(1),
  site: id,
  person: id,
  /** For zigbee2mqtt devices: which bridge, and the device's friendly name there (may contain '/'). */
  z2m: z.object({ bridge: id, friendly_name: z.string().min(1).max(200) }).strict().optional(),
  /** Overrides the device type's supervision window (seconds); `interval_s: 0` switches supervision off for this device. */
  supervision: z.object({ interval_s: z.number().int().min(0).max(7 * 86_400), grace_s: z.number().int().min(0).max(86_400).default(0) }).strict().optional(),
  /** Priority of this device's "not reporting" technical alert. */
  not_reporting_priority: z.enum(['high', 'medium', 'low']).default('medium'),
  /** Priorities for this device's technical events (battery_low, tamper, fault…), overriding its type's. */
  technical_priority: z.record(z.string(), z.enum(['high', 'medium', 'low'])).optional(),
  disabled,
}).strict()

/** A zigbee2mqtt bridge publishing on the embedded broker under `base_topic`, authenticated as `id`. */
const bridge = z.object({
  id,
  base_topic: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/).default('zigbee2mqtt'),
  site: id,
  /** The broker zigbee2mqtt already uses, if not ours: the gateway subscribes there (mqtt:// or mqtts://). */
  url: z.string().regex(/^mqtts?:\/\//, 'an mqtt:// or mqtts:// URL').optional(),
  username: z.string().optional(),
  /** File holding the password for `url` (secrets are never inline in configuration). */
  password_file: z.string().optional(),
}).strict()

const user = z.object({
  id,
  role: z.enum(['carer', 'team_leader', 'at_admin', 'auditor']),
  /** Name shown to colleagues ("accepted by Amy"). Staff, not the people cared for. */
  display_name: z.string().min(1).max(40),
  disabled,
}).strict()

const pager = z.object({
  id,
  user: id,
  protocol: z.string().min(1),
  /** The line (serial port or tcp://) this pager is reached through; required for line protocols (espa, tap). */
  line: id.optional(),
  /** The pager's address on its line: ESPA call address (≤ 16 characters), TAP pager id. */
  address: z.string().regex(/^[0-9A-Za-z]{1,16}$/, 'addresses are 1–16 letters or digits').optional(),
  /** Another pager of the same user to use when this one's line is down or a page to it fails. */
  fallback: id.optional(),
  /** Longest message this pager displays; longer text is truncated and the truncation audited. */
  max_length: z.number().int().min(8).max(512).default(80),
  disabled,
}).strict()

/** A paging line: a serial port or serial device server, with its protocol's own settings (validated by the driver's schema). */
const line = z.object({
  id,
  protocol: z.string().min(1),
  /** Site whose team is alerted when this line fails. */
  site: id,
  /** Priority of the technical alert raised when the line goes down. */
  alert_priority: z.enum(['high', 'medium', 'low']).default('high'),
}).passthrough()

/** The embedded broker's listeners and per-device limits. */
const brokerSettings = z.object({
  /** Keep the plaintext MQTT listener (on `--host`, loopback by default). Set false to accept mqtts only. */
  plaintext: z.boolean().default(true),
  /** An mqtts listener: PEM key and certificate files (paths), optional CA for client certificates (mTLS). */
  tls: z.object({ port: z.number().int().min(0).max(65_535).default(8883), host: z.string().default('127.0.0.1'), key_file: z.string(), cert_file: z.string(), ca_file: z.string().optional(), require_client_cert: z.boolean().default(false) }).strict().optional(),
  /** Publishes per second a single device may send (burst twice that); bridges speak for many devices and get 500/s. */
  device_publish_rate: z.number().min(0.1).max(10_000).default(20),
}).strict()

const ingest = z.object({
  /** Largest device payload accepted, in bytes. */
  max_payload_bytes: z.number().int().min(64).max(1_048_576).default(4096),
}).strict()

const configObject = z
  .object({
    /** Escalation ladders per site and priority; a site/priority without one uses the default ladder. */
    escalation: z.array(ladderSchema).default([]),
    /** Who is on shift where and when; a site with no shifts has everyone at the site on shift. */
    rota: z.array(shiftSchema).default([]),
    sites: z.array(site).min(1),
    /** zigbee2mqtt bridges (their devices name them in `z2m.bridge`). */
    zigbee2mqtt: z.array(bridge).default([]),
    /** Paging lines (ESPA 4.4.4, TAP) over serial ports or tcp://. */
    lines: z.array(line).default([]),
    /** Inputs from existing nurse-call panels (ESPA 4.4.4), with the panel's call addresses mapped to devices. */
    inputs: z.array(z.object({ id, protocol: z.string().min(1), site: id }).passthrough()).default([]),
    people: z.array(person).default([]),
    devices: z.array(device).default([]),
    users: z.array(user).default([]),
    pagers: z.array(pager).default([]),
    ingest: ingest.default({ max_payload_bytes: 4096 }),
    broker: brokerSettings.default({ plaintext: true, device_publish_rate: 20 }),
    /** How long each class of record is kept (issue 8); absent means the defaults in privacy/retention-config.ts, which say why. */
    retention: retentionSchema.optional(),
  })
  .strict()

export type GatewayConfig = z.infer<typeof configObject>

/** Per-entity schemas, shared with the web app's forms (the same zod objects the server validates with). */
export { person as personSchema, device as deviceSchema, user as userSchema, pager as pagerSchema }

/** The full schema: shape plus cross-references against the registries in `ctx`. */
export function buildConfigSchema(ctx: SchemaContext) {
  return configObject.superRefine((cfg, ctxz) => checkReferences(cfg, ctx, (path, message) => ctxz.addIssue({ code: 'custom', path, message })))
}

export type { RuleConfig } from '../rules/rule-config.js'
export type PersonConfig = GatewayConfig['people'][number]
export type DeviceConfig = GatewayConfig['devices'][number]
export type UserConfig = GatewayConfig['users'][number]
export type PagerConfig = GatewayConfig['pagers'][number]

export type Report = (path: (string | number)[], message: string) => void

function checkUnique(items: readonly { id: string }[], section: string, report: Report): void {
  const seen = new Set<string>()
  items.forEach((item, i) => {
    if (seen.has(item.id)) report([section, i, 'id'], `duplicate id '${item.id}'`)
    seen.add(item.id)
  })
}

/** Cross-references the schema alone cannot express. Every problem is reported, not just the first. */
function checkReferences(cfg: GatewayConfig, ctx: SchemaContext, report: Report): void {
  for (const section of ['sites', 'people', 'devices', 'users', 'pagers'] as const) checkUnique(cfg[section], section, report)
  const sites = new Set(cfg.sites.map((s) => s.id))
  const people = new Map(cfg.people.map((p) => [p.id, p]))
  const users = new Map(cfg.users.map((u) => [u.id, u]))
  const devices = new Map(cfg.devices.map((d) => [d.id, d]))

  cfg.sites.forEach((s, i) => {
    if (!isKnownTimeZone(s.timezone)) report(['sites', i, 'timezone'], `unknown time zone '${s.timezone}'`)
  })
  cfg.people.forEach((p, i) => {
    if (!sites.has(p.site)) report(['people', i, 'site'], `unknown site '${p.site}'`)
    p.carers.forEach((c, j) => {
      const u = users.get(c)
      if (!u) report(['people', i, 'carers', j], `unknown user '${c}'`)
      else if (u.role !== 'carer' && u.role !== 'team_leader') report(['people', i, 'carers', j], `user '${c}' has role '${u.role}', which cannot receive alerts`)
    })
    const placeholders = p.pager_template.match(/\{[^}]*\}/g) ?? []
    for (const ph of placeholders) {
      if (ph !== '{room_code}' && ph !== '{alert_class}') report(['people', i, 'pager_template'], 'only the placeholders {room_code} and {alert_class} may be used (the text in braces is not repeated here: it may be personal)')
    }
    p.rules.forEach((r, j) => checkRule(r, p.id, devices, ctx, (path, m) => report(['people', i, 'rules', j, ...path], m)))
    checkUnique(p.rules, `people.${i}.rules`, (path, m) => report(['people', i, 'rules', path[1]!, 'id'], m))
  })
  const z2mNames = new Set<string>()
  cfg.devices.forEach((d, i) => {
    if (d.z2m) {
      const b = cfg.zigbee2mqtt.find((x) => x.id === d.z2m!.bridge)
      if (!b) report(['devices', i, 'z2m', 'bridge'], `unknown zigbee2mqtt bridge '${d.z2m.bridge}'`)
      const key = `${d.z2m.bridge}/${d.z2m.friendly_name}`
      if (z2mNames.has(key)) report(['devices', i, 'z2m', 'friendly_name'], `another device already has friendly name '${d.z2m.friendly_name}' on '${d.z2m.bridge}'`)
      z2mNames.add(key)
    }
    const family = ctx.deviceFamilies?.get(d.type)
    if (family === 'zigbee2mqtt' && !d.z2m) report(['devices', i, 'z2m'], `a '${d.type}' device speaks through a zigbee2mqtt bridge: give z2m.bridge and z2m.friendly_name`)
    if (family !== undefined && family !== 'zigbee2mqtt' && d.z2m) report(['devices', i, 'z2m'], `'${d.type}' is not a zigbee2mqtt device`)
    if (!ctx.deviceTypes.has(d.type)) report(['devices', i, 'type'], `unknown device type '${d.type}' (known: ${[...ctx.deviceTypes.keys()].join(', ')})`)
    if (!sites.has(d.site)) report(['devices', i, 'site'], `unknown site '${d.site}'`)
    const owner = people.get(d.person)
    if (!owner) report(['devices', i, 'person'], `unknown person '${d.person}'`)
    else if (owner.site !== d.site) report(['devices', i, 'site'], `device is at site '${d.site}' but its person is at site '${owner.site}'`)
  })
  checkLines(cfg, ctx, report)
  checkInputs(cfg, ctx, report)
  cfg.pagers.forEach((pg, i) => {
    if (!users.has(pg.user)) report(['pagers', i, 'user'], `unknown user '${pg.user}'`)
    if (!ctx.pagerProtocols.includes(pg.protocol)) report(['pagers', i, 'protocol'], `unknown pager protocol '${pg.protocol}' (known: ${ctx.pagerProtocols.join(', ')})`)
    const lineProto = ctx.lineProtocols.get(pg.protocol)
    if (lineProto) {
      const l = cfg.lines.find((x) => x.id === pg.line)
      if (!pg.line) report(['pagers', i, 'line'], `a '${pg.protocol}' pager needs a line`)
      else if (!l) report(['pagers', i, 'line'], `unknown line '${pg.line}'`)
      else if (l.protocol !== pg.protocol) report(['pagers', i, 'line'], `line '${pg.line}' speaks '${l.protocol}', not '${pg.protocol}'`)
      if (!pg.address) report(['pagers', i, 'address'], `a '${pg.protocol}' pager needs its address on the line`)
      if (pg.max_length > lineProto.maxText) report(['pagers', i, 'max_length'], `'${pg.protocol}' carries at most ${lineProto.maxText} characters`)
    } else if (pg.line) report(['pagers', i, 'line'], `'${pg.protocol}' pagers do not use a line`)
    if (pg.fallback !== undefined) {
      const fb = cfg.pagers.find((x) => x.id === pg.fallback)
      if (!fb) report(['pagers', i, 'fallback'], `unknown pager '${pg.fallback}'`)
      else if (fb.user !== pg.user) report(['pagers', i, 'fallback'], `fallback '${fb.id}' belongs to '${fb.user}', not to '${pg.user}'`)
      else if (fb.id === pg.id) report(['pagers', i, 'fallback'], 'a pager cannot be its own fallback')
    }
  })
  cfg.pagers.forEach((pg, i) => {
    // A fallback chain must end: a cycle would page round in circles when every line is down.
    const seen = new Set<string>()
    for (let cur: typeof pg | undefined = pg; cur?.fallback; cur = cfg.pagers.find((x) => x.id === cur!.fallback)) {
      if (seen.has(cur.id)) return report(['pagers', i, 'fallback'], `fallback chain from '${pg.id}' loops`)
      seen.add(cur.id)
    }
  })
  cfg.rota.forEach((r, i) => {
    if (!sites.has(r.site)) report(['rota', i, 'site'], `unknown site '${r.site}'`)
    const u = users.get(r.user)
    if (!u) report(['rota', i, 'user'], `unknown user '${r.user}'`)
  })
  checkLadders(cfg, report)
  const withPager = new Set(cfg.pagers.map((p) => p.user))
  cfg.users.forEach((u, i) => {
    if (u.role === 'carer' && !withPager.has(u.id)) report(['users', i], `carer '${u.id}' has no pager, so alerts cannot reach them`)
  })
}




function checkRule(r: RuleConfig, personId: string, devices: Map<string, DeviceConfig>, ctx: SchemaContext, report: Report): void {
  for (const p of ruleSelfProblems(r)) report(p.path, p.message)
  const own = [...devices.values()].filter((d) => d.person === personId)
  let watched = own
  if (r.device !== undefined) {
    const d = devices.get(r.device)
    if (!d) return report(['device'], `unknown device '${r.device}'`)
    if (d.person !== personId) return report(['device'], `device '${r.device}' belongs to person '${d.person}', not to this person`)
    watched = [d]
  }
  const sends = new Set(watched.flatMap((d) => ctx.deviceTypes.get(d.type) ?? []))
  if (watched.length === 0) return report(['device'], 'this person has no devices, so the rule can never fire')
  for (const { field, event } of eventsNeeded(r)) {
    if (sends.has(event)) continue
    const who = r.device ? `device type '${watched[0]!.type}' never sends` : "none of this person's devices sends"
    report(field.split('.'), `${who} '${event}', so this rule can never fire`)
  }
}

function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz })
    return true
  } catch {
    return false
  }
}
