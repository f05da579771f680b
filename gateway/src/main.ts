import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomUUID } from 'node:crypto'
import { pino, type Logger } from 'pino'
import { deviceAdapters } from '../../device-adapters/src/index.js'
import { createAccessService } from './access/access-service.js'
import { issueUserToken, revokeUserToken } from './access/user-tokens.js'
import { createAuthenticator } from './access/authenticator.js'
import { issueMissingCredentials } from './access/provisioning.js'
import { indexConfig } from './config/config-index.js'
import { lintConfig } from './config/lint.js'
import { loadConfig } from './config/load.js'
import { type GatewayOptions, parseOptions } from './config/options.js'
import { AUDIT_ONLY } from './core/contracts.js'
import { systemClock, type Clock } from './core/clock.js'
import { isGatewayError } from './core/errors.js'
import { createApi } from './http/api.js'
import { createBoardApi } from './http/board-api.js'
import { createRouter } from './http/router.js'
import { accountRoutes } from './http/auth-routes.js'
import { registryContext } from './registry-context.js'
import { replayInWorker } from './replay/replay-service.js'
import { createLiveHub } from './http/live-hub.js'
import { startHttpServer } from './http/server.js'
import { loadStaticFiles } from './http/static-files.js'
import { renderMetrics } from './metrics.js'
import { createCommands } from './commands.js'
import { startContactModules } from './compose/contact-modules.js'
import { startExternalBridges } from './compose/external-bridges.js'
import { startPanelInputs } from './compose/panel-inputs.js'
import { createPagerLines } from './compose/pager-lines.js'
import { DeviceSupervisor } from './supervision/supervisor.js'
import { createPipeline } from './pipeline.js'
import { createDispatcher } from './routing/dispatcher.js'
import { createTimerScheduler } from './scheduler/timer-scheduler.js'
import { startStatusPublisher } from './status-publisher.js'
import { loadAuditKey } from './audit/key-file.js'
import { createAuditIntegrity, STARTUP_TAIL_ROWS } from './compose/audit-integrity.js'
import { createAuditVerifier } from './compose/audit-verify-service.js'
import { integrityRoutes } from './http/integrity-api.js'
import { createReportsApi } from './http/reports-api.js'
import { serviceReport } from './reports/service-report.js'
import { createReportSource } from './store/report-source.js'
import { hasChainedRows } from './store/audit-integrity.js'
import { auditAnchorTopic } from './core/topics.js'
import { createAccountRepo, createRepositories, lockedElsewhere, openDatabase } from './store/index.js'
import { createGatewayCommitter } from './compose/gateway-committer.js'
import { startDeviceBroker } from './compose/device-broker.js'
import { createUnstoredRouting } from './compose/unstored-routing.js'
import { createDryRunRepos } from './compose/dry-run-repos.js'
import { planEveryStep } from './lifecycle/escalation.js'
import type { WalFileOps } from './store/wal-sync.js'
import { truncateWal } from './store/checkpointer.js'
import { startDurableStore } from './compose/durable-store.js'
import { createRefusalAuditor } from './compose/refusal-audit.js'
import { createConfigApplier, deviceSecretIssuer, ruleResetter } from './compose/config-apply.js'
import { createConfigStore, openActiveConfig } from './config/config-store.js'
import type { GatewayConfig } from './config/schema.js'
import { createAuditApi } from './http/audit-api.js'
import { createConfigApi } from './http/config-api.js'
import { createConfigRepo } from './store/config-repo.js'
import { createPrivacyApi } from './http/privacy-api.js'
import { createPrivacyService } from './compose/privacy-service.js'
import { collectInWorker } from './compose/subject-export.js'
import { createRetentionJob } from './compose/retention-job.js'
import { createRetentionRepo } from './store/retention-repo.js'

const webDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'web')

export interface RunningGateway {
  /** Null when the plaintext listener is disabled (mqtts only). */
  readonly mqttPort: number | null
  readonly mqttsPort: number | null
  readonly httpPort: number
  readonly credentialsFile: string
  /** A one-time link path (`/setup#token=…`) while no AT admin has a password; printed on the console only. */
  readonly setupLink: string | null
  readonly tls: boolean
  stop(): Promise<void>
}
export { registryContext }

/** What an in-process test may put in place of the real thing (only what cannot be made to fail for real here). */
export interface GatewaySeams {
  /** The WAL's file operations: a test injects a failing fdatasync (an I/O error cannot be produced on demand). */
  readonly walFileOps?: WalFileOps
}

/**
 * The composition root: the only place that knows concrete adapters, drivers, aedes and SQLite.
 * config → logger → store → credentials → pipeline → screens, drivers, timers → broker.
 */
export async function startGateway(opts: GatewayOptions, log: Logger, clock: Clock = systemClock, seams: GatewaySeams = {}): Promise<RunningGateway> {
  // The file is checked before the database is touched, exactly as before issue 7 (every `path: message`).
  loadConfig(opts.configFile, registryContext)
  mkdirSync(opts.dataDir, { recursive: true })
  const dbFile = join(opts.dataDir, 'gateway.db')
  const db = openDatabase(dbFile)
  // Issue 8: the audit trail is a keyed hash chain; the key lives outside the database file.
  const auditKey = loadAuditKey(opts.auditKeyFile, !hasChainedRows(db))
  const repos = createRepositories(db, { auditKey })
  // Issue 7: the configuration is versioned in the database and the file seeds it (config/config-store.ts).
  // Nothing else runs yet, so this start-up write may bypass the group committer.
  const configRepo = createConfigRepo(db)
  const startup = await openActiveConfig({ repo: configRepo, ctx: registryContext, audit: repos.audit, transact: async (run) => db.transaction(run)(), now: () => clock.now() },
    { path: opts.configFile, text: readFileSync(opts.configFile, 'utf8') }, opts.changedBy, opts.changeNote)
  if (startup.supersededUiVersions > 0) log.warn({ superseded: startup.supersededUiVersions }, 'the configuration file changed: it replaces the changes made in the web app since it was last imported (kept in the version history)')
  const config = startup.active.effective.config
  const index = indexConfig(config, startup.active.effective.disabledDevices)
  const warnings = lintConfig(config)
  for (const w of warnings) log.warn({ warning: w }, 'configuration warning')
  const credentialsFile = resolve(opts.dataDir, 'new-credentials.json')
  // Devices that publish over MQTT themselves (not zigbee2mqtt devices, which speak through their bridge), and the bridges.
  const mqttPrincipals = [...config.devices.filter((d) => !d.z2m).map((d) => d.id), ...config.zigbee2mqtt.filter((b) => !b.url).map((b) => b.id)]
  const issued = await issueMissingCredentials(repos, { devices: mqttPrincipals, users: config.users.map((u) => u.id) }, credentialsFile, clock.now())
  const issuedCount = Object.keys(issued.devices).length + Object.keys(issued.users).length
  if (issuedCount > 0) log.warn({ count: issuedCount, file: credentialsFile }, 'issued new credentials; hand them over from this file (mode 0600), then delete it')
  const auth = createAuthenticator(repos.credentials)

  const counters = { eventsAccepted: 0, duplicates: 0, rejections: new Map<string, number>() }
  // Late-bound: the committer's after-commit hook needs the hub, dispatcher and scheduler built below.
  let afterCommit: (fx: import('./core/effects.js').Effects) => void = () => undefined
  // Late-bound: pages of work the store refused go out through the lines and screens built below.
  let unstoredRouting: ReturnType<typeof createUnstoredRouting> | null = null
  // Issue 9: the group's fdatasync runs off the event loop; acknowledgements still wait for it (store/wal-sync.ts).
  const store = await startDurableStore(db, dbFile, log.child({ module: 'gateway.store' }), seams.walFileOps)
  const { committer, lockedOut } = createGatewayCommitter({
    db, audit: repos.audit, log, now: () => clock.now(), synced: () => store.synced(),
    afterCommit: (fx) => afterCommit(fx), onUnstored: (fx, err) => unstoredRouting?.refused(fx, err), journal: repos.journal.settle,
  })
  const newId = (prefix: 'al' | 'nt' | 'sp') => `${prefix}-${randomUUID()}`
  // Late-bound: line drivers report back through commands built on the pipeline.
  let pagerLines: ReturnType<typeof createPagerLines> | null = null
  const adapterById = new Map(deviceAdapters.map((a) => [a.id, a]))
  // Supervision windows: the device's own override, else its type's declaration; none means not supervised.
  const windowsFor = (cfg: Readonly<GatewayConfig>) => new Map(cfg.devices.flatMap((d) => {
    const w = d.supervision ?? adapterById.get(d.type)?.supervision
    return w ? [[d.id, { intervalMs: w.interval_s * 1000, graceMs: w.grace_s * 1000 }] as const] : []
  }))
  const supervisor = new DeviceSupervisor(windowsFor(config), clock.now())
  // The pipeline's view of the store can also run an alarm without writing, to page it while the database is locked.
  const { repos: pipelineRepos, dryRun } = createDryRunRepos(repos)
  const pipeline = createPipeline({ index, decoders: adapterById, supervisor, types: adapterById, repos: pipelineRepos, dryRun, transact: (run, recover, lane) => committer.submit(run, recover, lane), newId, log: log.child({ module: 'gateway.pipeline' }), rejections: counters.rejections, lineUp: (pagerId) => pagerLines?.lineUp(pagerId) ?? true })

  const siteIds = config.sites.map((s) => s.id)
  /** Storage is failing: a WAL sync failed (for good), or the database refuses writes (until it takes them again). */
  const storageFailing = () => store.failing || lockedOut() || (unstoredRouting?.failing ?? false)
  store.onFailure((err) => {
    log.fatal({ err }, 'the write-ahead log could not be synced: nothing more is acknowledged; alerts are still routed; check the disk and reboot the host')
    // Shown at COMMIT like any alert; its own acknowledgement fails like every other from now on.
    pipeline.storageFailing(siteIds, (err as Error).message, clock.now()).catch(() => undefined)
  })
  const commands = createCommands({ index, repos, transact: (run, recover) => committer.submit(run, recover), lifecycle: pipeline.lifecycle, suppressionDeps: pipeline.suppressionDeps })
  const hub = createLiveHub({
    index, alerts: repos.alerts, notifications: repos.notifications, log: log.child({ module: 'gateway.live' }),
    accept: (alertId, userId, via) => commands.accept(alertId, userId, via, clock.now()),
    decline: (alertId, userId, via) => commands.decline(alertId, userId, via, clock.now()),
    close: (alertId, userId, outcome, note) => commands.close(alertId, userId, outcome, note, clock.now()),
    delivered: (id, userId) => commands.delivered(id, userId, clock.now()),
  })
  hub.start()
  const logFailure = (what: string) => (err: unknown) => log.error({ err }, what)
  const lines = createPagerLines(config, log.child({ module: 'pager-bridge' }), {
    pushToScreens: (page) => hub.pushPage(page),
    report: (nid, event, detail) => void commands.pagerReport(nid, event, detail, clock.now()).catch(logFailure('recording a pager report failed')),
    lineHealth: (lineId, state, reason) => {
      const line = config.lines.find((l) => l.id === lineId)!
      void pipeline.linkHealth({ kind: 'line', id: lineId, site: line.site, priority: line.alert_priority }, state, reason, clock.now()).catch(logFailure('recording line health failed'))
    },
    frame: (lineId, dir, bytes, nid, what) => void pipeline.pagerFrame(lineId, dir, bytes, nid, what, clock.now()).catch(logFailure('auditing a pager frame failed')),
  })
  pagerLines = lines
  const dispatcher = createDispatcher({
    driverFor: (pagerId) => lines.driverFor(pagerId), addressOf: (pagerId) => lines.addressOf(pagerId), log: log.child({ module: 'gateway.routing' }),
    loadNotification: (id) => repos.notifications.get(id),
    notificationsFor: (alertId) => repos.notifications.forAlert(alertId),
    loadAlert: (id) => repos.alerts.get(id),
    report: (id, event, detail) => commands.report(id, event, clock.now(), detail),
  })
  const scheduler = createTimerScheduler({ clock, log: log.child({ module: 'gateway.timers' }), nextDueAt: () => pipeline.nextDueAt(), fireDue: (now) => pipeline.fireDueTimers(now) })
  unstoredRouting = createUnstoredRouting({
    log: log.child({ module: 'gateway.store' }), now: () => clock.now(), driverFor: (id) => lines.driverFor(id), addressOf: (id) => lines.addressOf(id),
    show: (alert, n) => hub.showUnstored(alert, n),
    recovered: () => hub.resync(),
    everyStep: (alert, now) => planEveryStep(pipeline.lifecycle, alert, now),
    raiseStorageFailing: (message, err) => (lockedElsewhere(err) ? unstoredRouting?.refused(pipeline.storageLockedPages(siteIds, message, clock.now()), err)
      : void pipeline.storageFailing(siteIds, message, clock.now(), 'write_refused').catch(() => undefined)),
    recordOutage: (detail) => committer.submit(() => void repos.audit.append({ at: clock.now(), kind: 'storage.failing', actor: 'gateway', detail })),
  })
  afterCommit = (fx) => {
    unstoredRouting?.committed(fx)
    if (fx.alertsChanged.size) {
      hub.alertsChanged(fx.alertsChanged)
      dispatcher.withdraw(fx.alertsChanged)
    }
    if (fx.notificationsToSend.length) dispatcher.dispatch(fx.notificationsToSend)
    if (fx.timersChanged) scheduler.reschedule()
  }

  // Late-bound: the broker starts after the HTTP server.
  let deviceBroker = { stats: (): Record<string, number> => ({}), refreshSites: () => undefined as void }
  // Every refusal audited; identical ones from an unidentified actor folded to one row a minute.
  const refused = createRefusalAuditor({ now: () => clock.now(), log, append: (at, actor, detail) => committer.submit(() => repos.audit.append({ at, kind: 'access.refused', actor, detail }), undefined, AUDIT_ONLY) })

  // Configuration changes from the web app and API, applied without a restart (compose/config-apply.ts).
  const configStore = createConfigStore({ repo: configRepo, ctx: registryContext, audit: repos.audit, transact: (run) => committer.submit(run), now: () => clock.now() }, startup.active)
  const configChanges = createConfigApplier({
    store: configStore, index, log: log.child({ module: 'gateway.config' }), now: () => clock.now(), pipeline, windowsFor,
    setWindows: (w, now) => supervisor.setWindows(w, now), setPagers: (p) => lines.setPagers(p), setBrokerSites: () => deviceBroker.refreshSites(),
    issueDeviceSecret: deviceSecretIssuer(repos, (run) => committer.submit(run)),
    // A user disabled or removed signs out everywhere at once: sessions end, open screens close (4401).
    usersGone: async (ids) => {
      for (const id of ids) {
        http.endSockets(await access.endSessionsOf(id))
        hub.closeUser(id)
        // Their access token goes too (an AT admin issues a new one if the user comes back).
        await committer.submit(() => revokeUserToken(repos, id, 'gateway', clock.now()))
      }
    }, resetRule: ruleResetter(repos, (run) => committer.submit(run)),
  })
  const reportSource = createReportSource(db)
  const auditVerifier = createAuditVerifier({ dbFile, keyFile: opts.auditKeyFile, anchorFile: opts.auditAnchorFile })
  // Issue 8: subject access and erasure. Deleted rows are overwritten on disk, not just unlinked (erasure, retention).
  db.pragma('secure_delete = ON')
  const privacy = createPrivacyService({
    db, audit: repos.audit, transact: (run) => committer.submit(run), collect: collectInWorker(dbFile), active: () => configStore.active(), now: () => clock.now(), log: log.child({ module: 'gateway.privacy' }),
    replacePerson: async (entity, baseVersion, actor) => void await configChanges.change({ section: 'people', key: String(entity.id), op: 'put', entity, note: 'subject erasure: personal details replaced by (erased)', baseVersion, actor, source: 'api' }),
    checkpoint: () => truncateWal(db),
  })
  const access = createAccessService({
    accounts: createAccountRepo(db), audit: repos.audit, now: () => clock.now(),
    user: (id) => index.users.get(id), users: () => index.users.values(),
    tokenUser: (token) => auth.userToken(token),
    transact: (run) => committer.submit(run),
    // The setup link may name a first AT admin the configuration does not have yet: added as a versioned change.
    addAdmin: async (id, displayName) => void await configChanges.change({ section: 'users', key: id, op: 'put', entity: { id, role: 'at_admin', display_name: displayName }, note: 'first AT admin, through the one-time setup link', baseVersion: configStore.active().version, actor: 'setup-link', source: 'ui' }),
  })
  const tls = opts.tlsKeyFile && opts.tlsCertFile ? { key: readFileSync(opts.tlsKeyFile), cert: readFileSync(opts.tlsCertFile) } : undefined
  const http = await startHttpServer({ access, ...(tls ? { tls } : {}),
    host: opts.host, port: opts.httpPort, hub, staticFiles: loadStaticFiles(webDir), log: log.child({ module: 'gateway.http' }),
    authenticate: (token, client) => access.bearer(token, client), refused,
    health: () => ({ status: storageFailing() ? 'storage_failing' : 'ok', commit_backlog: committer.backlog }),
    api: createRouter(createApi({ index, alerts: repos.alerts, notifications: repos.notifications, audit: repos.audit, suppressions: repos.suppressions, ruleVersions: repos.ruleVersions, now: () => clock.now(),
      accept: (id, userId, via) => commands.accept(id, userId, via, clock.now()),
      decline: (id, userId, via) => commands.decline(id, userId, via, clock.now()),
      resolve: (id, userId) => commands.resolve(id, userId, clock.now()),
      close: (id, userId, outcome, note) => commands.close(id, userId, outcome, note, clock.now()),
      suppress: (userId, input) => commands.suppress(userId, input, clock.now()),
      unsuppress: (userId, id) => commands.unsuppress(userId, id, clock.now()),
      replay: (_userId, body) => replayInWorker(dbFile, index.config, body, registryContext),
      deviceHealth: (id) => pipeline.deviceHealth(id),
      rotateDevice: (userId, id) => commands.rotateDevice(userId, id, clock.now()),
      revokeDevice: (userId, id) => commands.revokeDevice(userId, id, clock.now()),
      metrics: () => renderMetrics({ ...counters, screens: hub.size, commitBacklog: committer.backlog, walSyncs: store.syncs, storageFailing: storageFailing(), brokerRefusals: deviceBroker.stats() }) }),
      createBoardApi({ index, alerts: repos.alerts, now: () => clock.now(), deviceHealth: (id) => pipeline.deviceHealth(id), deviceTypes: adapterById }),
      accountRoutes(index, access, {
        issue: (actor, userId) => issueUserToken(repos, (run) => committer.submit(run), userId, actor, clock.now()),
        revoke: (actor, userId) => committer.submit(() => revokeUserToken(repos, userId, actor, clock.now())),
      }),
      createConfigApi({ index, store: configStore, repo: configRepo, ctx: registryContext, change: (r) => configChanges.change(r),
        refused: (actor, what, code, reason, issues) => void committer.submit(() => repos.audit.append({ at: clock.now(), kind: 'command.refused', actor, detail: { what, code, reason, issues } })).catch(logFailure('could not audit a refused configuration change')) }),
      createAuditApi({ index, audit: repos.audit, now: () => clock.now() }),
      integrityRoutes(index, () => auditVerifier.verify()),
      createPrivacyApi({ index, now: () => clock.now(), exportSubject: (userId, id) => privacy.exportSubject(userId, id), erase: (userId, id, note) => privacy.erase(userId, id, note) }),
      createReportsApi({ index, now: () => clock.now(), report: (from, to) => serviceReport({ from, to, alerts: reportSource.alerts(from, to), notifications: reportSource.notifications(from, to), supervision: reportSource.supervision(to), devices: index.config.devices.filter((d) => !d.disabled).map((d) => d.id), timeZones: new Map(index.config.sites.map((s) => [s.id, s.timezone])) }) })),
  })

  // Recovery before devices can connect: deadlines that passed while down fire now; the outbox is resent.
  // Verify the audit chain's tail before anything else is written; a break is alarmed, never run on silently.
  const integrity = createAuditIntegrity({ db, key: auditKey, anchorFile: opts.auditAnchorFile, log: log.child({ module: 'gateway.audit' }), now: () => clock.now(), intervalMs: 60_000, synced: () => store.synced() })
  const verified = integrity.checkAtStart()
  await committer.submit(() => repos.audit.append({ at: clock.now(), kind: 'gateway.started', actor: 'gateway', detail: { pid: process.pid, config_file: opts.configFile, audit_chain: verified.ok ? 'verified' : 'broken', audit_rows_checked: verified.rowsChecked } }))
  /** A break in the trail is logged and alarmed at every site (README: the gateway keeps running). */
  const trailBroken = (finding: { kind: string | null; firstBadSeq: number | null; message: string }) => {
    log.error({ kind: finding.kind, first_bad_seq: finding.firstBadSeq, reason: finding.message }, 'AUDIT TRAIL VERIFICATION FAILED')
    return pipeline.auditIntegrity(siteIds, finding, clock.now())
  }
  if (!verified.ok) await trailBroken(verified)
  else if (verified.malformedAnchors > 0) await trailBroken({ kind: 'replaced', firstBadSeq: null, message: `${verified.malformedAnchors} lines of the anchor file ${opts.auditAnchorFile} are not anchors: it was edited` })
  await integrity.anchorNow()
  integrity.start()
  if (warnings.length) await committer.submit(() => { for (const w of warnings) repos.audit.append({ at: clock.now(), kind: 'config.warning', actor: 'gateway', detail: { warning: w } }) })
  const changed = await pipeline.recordRuleVersions(opts.changedBy, opts.changeNote, clock.now())
  if (changed > 0) log.info({ changed, changed_by: opts.changedBy }, 'rule changes recorded')
  await pipeline.armClockRules(clock.now())
  // No default passwords: until an AT admin has set one, each start prints a fresh one-time setup link.
  const setupToken = access.setupNeeded() ? await access.issueSetupLink() : null
  if (setupToken) log.warn('no AT admin can sign in yet: open the one-time setup link printed on the console (valid 24 h)')
  await access.purgeExpired()
  scheduler.start()
  // Supervision is checked every second (a scan of in-memory last-seen times; 20,000 devices cost well under a millisecond).
  const supervisionTimer = setInterval(() => void pipeline.superviseDue(clock.now()).catch(logFailure('supervision check failed')), 1000)
  supervisionTimer.unref()
  dispatcher.dispatch(repos.notifications.queued().map((n) => n.id))
  // Issue 8: retention periods enforced now and every 24 h, in small batches; each run is audited.
  const retention = createRetentionJob({ repo: createRetentionRepo(db), audit: repos.audit, transact: (run) => committer.submit(run), settings: () => configStore.active().document.retention, clock, anchor: () => void integrity.anchorNow().catch(logFailure('could not write an audit anchor')), log: log.child({ module: 'gateway.retention' }) })
  retention.start()

  // Serial inputs (nurse-call panels, contact modules) report events, rejections and their link's health alike.
  const serialInputs: Parameters<typeof startContactModules>[3] = {
    ingest: (event) => pipeline.ingestEvent(event),
    reject: (source, deviceId, error, detail) => pipeline.rejectInput(source, deviceId, error, detail, clock.now()),
    linkHealth: (id, site, state, reason) => void pipeline.linkHealth({ kind: 'input', id, site, priority: 'high' }, state, reason, clock.now()).catch(logFailure('recording input link health failed')),
  }
  const panels = await startPanelInputs(config, clock, log.child({ module: 'pager-bridge' }), {
    ...serialInputs,
    frame: (id, dir, bytes, what) => void pipeline.pagerFrame(`input-${id}`, dir, bytes, null, what, clock.now()).catch(logFailure('auditing a panel frame failed')),
  })
  const contactModules = await startContactModules(config, clock, log.child({ module: 'device-adapters' }), serialInputs)
  const externalBridges = await startExternalBridges(config, clock, log.child({ module: 'gateway.ingest' }), (raw) => pipeline.ingest(raw))
  const { broker, internalToken, refreshSites } = await startDeviceBroker({
    config, index, host: opts.host, mqttPort: opts.mqttPort, authenticate: auth.device, refused, now: () => clock.now(), log,
    async ingest(raw) {
      const outcome = await pipeline.ingest(raw)
      if (outcome.status === 'accepted') counters.eventsAccepted++
      else if (outcome.status === 'duplicate') counters.duplicates++
      return outcome
    },
  })
  deviceBroker = { stats: () => broker.stats(), refreshSites }
  // The start-up check stopped at STARTUP_TAIL_BYTES of row detail so that devices are not kept waiting; the rest of
  // the newest STARTUP_TAIL_ROWS rows is verified now, off the event loop. A row's size is in the file being checked:
  // without this, an edited row padded past the budget would be left out of every check but a full verify.
  if (verified.ok) {
    void auditVerifier.verifyTail(STARTUP_TAIL_ROWS).then(async (f) => {
      log.info({ rows_checked: f.rowsChecked, ok: f.ok }, 'audit tail verified after start-up')
      if (!f.ok) await trailBroken(f)
    }).catch(logFailure('verifying the audit tail after start-up failed'))
  }
  // The gateway's status client rides the loopback plaintext listener; with mqtts only, status is not published.
  const status = broker.port !== null ? await startStatusPublisher(`mqtt://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${broker.port}`, internalToken, siteIds) : null
  // The chain head, retained where another system can record it (issue 8: anchors outside the gateway).
  if (status) integrity.publish = (a) => { for (const s of config.sites) status.client.publish(auditAnchorTopic(s.id), JSON.stringify({ seq: a.seq, hash: a.hash, at: new Date(a.at).toISOString() }), { qos: 1, retain: true }) }

  log.info({ mqtts_port: broker.tlsPort, mqtt: `mqtt://${opts.host}:${broker.port}`, http: `http://${opts.host}:${http.port}`, mqtt_port: broker.port, http_port: http.port, data_dir: resolve(opts.dataDir), config_file: opts.configFile }, 'gateway listening')

  let stopping: Promise<void> | null = null
  return {
    mqttPort: broker.port,
    mqttsPort: broker.tlsPort,
    httpPort: http.port,
    credentialsFile,
    setupLink: setupToken ? `/setup#token=${setupToken}` : null,
    tls: tls !== undefined,
    stop() {
      stopping ??= (async () => {
        // An operator's shell holding the database's write lock must not hold up the stop (retention, last rows).
        committer.stopWaitingForLock()
        scheduler.stop()
        clearInterval(supervisionTimer)
        dispatcher.stop()
        integrity.stop()
        await retention.stop()
        await status?.close().catch(() => undefined)
        // Devices, screens, pager lines and inputs, one after another, before the last rows.
        for (const part of [broker, http, lines, panels, contactModules, externalBridges]) await part.close()
        await committer.submit(() => repos.audit.append({ at: clock.now(), kind: 'gateway.stopped', actor: 'gateway', detail: {} })).catch(() => undefined)
        await integrity.anchorNow().catch((err: unknown) => log.error({ err }, 'could not write the final audit anchor'))
        db.close()
        await store.stop()
      })()
      return stopping
    },
  }
}

async function main(): Promise<void> {
  let opts: GatewayOptions
  try {
    opts = parseOptions(process.argv.slice(2), process.env)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exit(2)
  }
  const log = pino({ level: opts.logLevel, base: { service: 'care-gateway' } })
  let gw: RunningGateway
  try {
    gw = await startGateway(opts, log)
  } catch (err) {
    // Start-up errors (invalid configuration above all) print every problem and stop.
    process.stderr.write(`gateway did not start: ${isGatewayError(err) ? `${err.code}: ${err.message}` : (err as Error).stack}\n`)
    process.exit(1)
  }
  const base = `${gw.tls ? 'https' : 'http'}://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${gw.httpPort}`
  process.stderr.write(
    `\nCare alert gateway running\n  MQTT broker   mqtt://${opts.host}:${gw.mqttPort}\n  Sign in       ${base}/login\n  Team board    ${base}/board\n  Soft pager    ${base}/pager\n  API           ${base}/api/alerts\n  Credentials   ${gw.credentialsFile} (device secrets and access tokens issued on first start)\n${gw.setupLink ? `\n  FIRST AT ADMIN: set your password with this one-time link (valid 24 h, shown only here):\n  ${base}${gw.setupLink}\n` : ''}\n`,
  )
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down')
    gw.stop().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main()
