import type { Logger } from 'pino'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import { type TextFrame, textFrame } from './ws-frame.js'
import { createBoardThrottle } from './board-throttle.js'
import { type ConfigIndex, userMaySee } from '../config/config-index.js'
import { canSeeAlert } from './visibility.js'
import type { AlertRepository, NotificationRepository } from '../core/contracts.js'
import { isGatewayError } from '../core/errors.js'
import type { Page } from '../core/pager.js'
import type { Notification } from '../core/alert.js'
import type { AckChannel } from '../lifecycle/alert-service.js'
import { openAlertStates } from '../lifecycle/transitions.js'
import { type Alert, type AlertOutcome, alertOutcomes } from '../core/alert.js'
import { alertView, notificationView } from './views.js'

interface Session {
  readonly ws: WebSocket
  /** The upgraded connection under `ws`: frames built once for many screens are written to it directly. */
  readonly socket: Duplex | null
  readonly userId: string
  /** Cleared on every ping, set by the pong: a peer that misses one round is dead. */
  alive: boolean
}

/**
 * Every HEARTBEAT_MS each screen gets a `heartbeat` message (pages treat 35 s of silence as "connection
 * lost") and a WebSocket ping; a screen that did not answer the previous ping is terminated, so the
 * server never keeps pushing alerts into a dead socket and counting it as a live screen.
 */
export const HEARTBEAT_MS = 15_000

export interface LiveHubDeps {
  readonly index: ConfigIndex
  readonly alerts: AlertRepository
  readonly notifications: NotificationRepository
  readonly accept: (alertId: string, userId: string, via: AckChannel) => Promise<unknown>
  readonly decline: (alertId: string, userId: string, via: AckChannel) => Promise<unknown>
  readonly close: (alertId: string, userId: string, outcome: AlertOutcome, note: string | null) => Promise<unknown>
  readonly delivered: (notificationId: string, userId: string) => Promise<void>
  readonly log: Logger
}

/** Boards get an alert's first change at once and the rest of a burst of changes at most this often. */
export const BOARD_INTERVAL_MS = 100

/** How many recent alerts a snapshot carries besides the open ones. */
const SNAPSHOT_RECENT = 200

/**
 * Live screens over WebSocket (soft pagers and boards). On every (re)connect a screen gets a full
 * snapshot, so nothing raised while it was disconnected is missed; after that, every committed change.
 */
export function createLiveHub(deps: LiveHubDeps) {
  const sessions = new Set<Session>()
  let heartbeat: NodeJS.Timeout | undefined
  const { index } = deps

  function send(s: Session, msg: unknown): void {
    if (s.ws.readyState === s.ws.OPEN) s.ws.send(JSON.stringify(msg))
  }

  /**
   * A message going to many screens is serialised and framed once (issue 9: fan-out to 1,000 boards), then written
   * to each connection as one buffer: `ws.send` builds a header and makes a corked two-part write per screen, about
   * twice the cost. Safe to interleave with `ws.send` because the server has permessage-deflate off, so ws writes
   * every frame synchronously and whole (RFC 6455 §5.2: a server's frames are unmasked).
   */
  function sendFrame(s: Session, ...frames: TextFrame[]): void {
    if (s.ws.readyState !== s.ws.OPEN) return
    // Several messages for one screen go in one write: on this VM each write that wakes the reader costs 0.1–0.4 ms.
    if (s.socket) s.socket.write(frames.length === 1 ? frames[0]!.wire : Buffer.concat(frames.map((f) => f.wire)))
    else for (const f of frames) s.ws.send(f.payload, { binary: false })
  }

  /** Everyone else who may see the alert: boards, and carers of the person who are not being paged for it. */
  function toBoards(alert: Alert, view: TextFrame, addressees: { has(userId: string): boolean }): void {
    for (const s of sessions) if (!addressees.has(s.userId) && userMaySee(index, s.userId, alert.personId)) sendFrame(s, view)
  }
  // A burst of changes to one alert reaches boards as its first change at once and its state at the end of the burst.
  const boards = createBoardThrottle(BOARD_INTERVAL_MS, (id) => {
    const alert = deps.alerts.get(id)
    if (!alert) return
    toBoards(alert, textFrame(JSON.stringify({ type: 'alert', alert: alertView(index, alert) })), new Set(deps.notifications.forAlert(id).map((n) => n.userId)))
  })

  function snapshot(userId: string) {
    const open = deps.alerts.list({ states: openAlertStates, limit: 1000 })
    const recent = deps.alerts.list({ limit: SNAPSHOT_RECENT })
    const byId = new Map([...open, ...recent].map((a) => [a.id, a]))
    const alerts = [...byId.values()].filter((a) => canSeeAlert(index, deps.notifications, userId, a)).map((a) => alertView(index, a))
    return { type: 'snapshot', alerts, notifications: deps.notifications.openForUser(userId).map(notificationView) }
  }

  async function onMessage(s: Session, data: string): Promise<void> {
    let msg: { type?: unknown; alert_id?: unknown; notification_id?: unknown; request_id?: unknown; outcome?: unknown; note?: unknown }
    try {
      msg = JSON.parse(data) as typeof msg
    } catch {
      return send(s, { type: 'result', request_id: null, ok: false, error: { code: 'GW_ERR_API_BAD_REQUEST', message: 'message is not valid JSON' } })
    }
    const requestId = typeof msg.request_id === 'string' ? msg.request_id.slice(0, 64) : null
    try {
      if (msg.type === 'accept' && typeof msg.alert_id === 'string') await deps.accept(msg.alert_id, s.userId, 'soft_pager')
      else if (msg.type === 'decline' && typeof msg.alert_id === 'string') await deps.decline(msg.alert_id, s.userId, 'soft_pager')
      else if (msg.type === 'close' && typeof msg.alert_id === 'string' && (alertOutcomes as readonly unknown[]).includes(msg.outcome)) {
        await deps.close(msg.alert_id, s.userId, msg.outcome as AlertOutcome, typeof msg.note === 'string' && msg.note.trim() ? msg.note.slice(0, 500) : null)
      }
      else if (msg.type === 'delivered' && typeof msg.notification_id === 'string') await deps.delivered(msg.notification_id, s.userId)
      else throw Object.assign(new Error(`unknown message type '${String(msg.type)}' or missing id`), { code: 'GW_ERR_API_BAD_REQUEST' })
      if (requestId) send(s, { type: 'result', request_id: requestId, ok: true })
    } catch (err) {
      const code = isGatewayError(err) ? err.code : ((err as { code?: string }).code ?? 'GW_ERR_BUG')
      send(s, { type: 'result', request_id: requestId, ok: false, error: { code, message: (err as Error).message } })
    }
  }

  return {
    /** Register an authenticated screen. */
    attach(ws: WebSocket, userId: string, socket: Duplex | null = null): void {
      const s: Session = { ws, userId, socket, alive: true }
      sessions.add(s)
      ws.on('pong', () => (s.alive = true))
      const user = index.users.get(userId)!
      send(s, { type: 'hello', user: { id: user.id, role: user.role, display_name: user.display_name } })
      send(s, snapshot(userId))
      ws.on('message', (data) => void onMessage(s, data.toString()))
      ws.on('close', () => sessions.delete(s))
      ws.on('error', (err) => deps.log.debug({ err, user: userId }, 'websocket error'))
    },

    /** Push committed alert changes (and their notifications) to every screen allowed to see them. */
    alertsChanged(ids: Iterable<string>): void {
      for (const id of ids) {
        const alert = deps.alerts.get(id)
        if (!alert) continue
        const view = textFrame(JSON.stringify({ type: 'alert', alert: alertView(index, alert) }))
        const notes = deps.notifications.forAlert(id)
        // Each addressee's notification frames, built once however many screens they have open.
        const addressees = new Map<string, TextFrame[]>()
        for (const n of notes) {
          const frame = textFrame(JSON.stringify({ type: 'notification', notification: notificationView(n) }))
          const frames = addressees.get(n.userId)
          if (frames) frames.push(frame)
          else addressees.set(n.userId, [frame])
        }
        // The carers being paged first, then every board: with 1,000 boards open, the page must not wait for them.
        for (const s of sessions) {
          const frames = addressees.get(s.userId)
          if (frames) sendFrame(s, view, ...frames)
        }
        if (boards.touch(id)) toBoards(alert, view, addressees)
      }
    },

    /**
     * An alarm the store refused to hold (disk full, read-only): its alert and page, built from memory, on the
     * addressee's screens and every board that may see it, marked `unstored` (it cannot be accepted here; it is stored,
     * raised and paged again when the device resends it after the store recovers). Returns how many of the
     * addressee's screens got it: 0 means the page did not reach them.
     */
    showUnstored(alert: Alert, notification: Notification): number {
      const view = textFrame(JSON.stringify({ type: 'alert', alert: { ...alertView(index, alert), unstored: true } }))
      const page = textFrame(JSON.stringify({ type: 'notification', notification: { ...notificationView(notification), unstored: true } }))
      let screens = 0
      for (const s of sessions) {
        if (s.userId !== notification.userId || s.ws.readyState !== s.ws.OPEN) continue
        sendFrame(s, view, page)
        screens++
      }
      toBoards(alert, view, new Set([notification.userId]))
      return screens
    },

    /** Every open screen's whole state again (a snapshot replaces everything a page shows): drops unstored alerts. */
    resync(): void {
      for (const s of sessions) if (s.ws.readyState === s.ws.OPEN) send(s, snapshot(s.userId))
    },

    /** Soft pager driver transport: show a page on the addressee's open screens. */
    pushPage(page: Page): number {
      const n = deps.notifications.get(page.notificationId)
      if (!n) return 0
      let count = 0
      for (const s of sessions) {
        if (s.userId !== page.userId) continue
        send(s, { type: 'notification', notification: notificationView(n) })
        count++
      }
      return count
    },

    /** Start the heartbeat. */
    start(): void {
      heartbeat ??= setInterval(() => {
        const beat = textFrame(JSON.stringify({ type: 'heartbeat', at: new Date().toISOString() }))
        for (const s of sessions) {
          if (!s.alive) {
            s.ws.terminate()
            sessions.delete(s)
            continue
          }
          s.alive = false
          s.ws.ping()
          sendFrame(s, beat)
        }
      }, HEARTBEAT_MS)
      heartbeat.unref()
    },

    /** Close every screen (shutdown), with "going away". */
    /** Closes every screen of a user who may no longer sign in (disabled or removed): 4401, back to sign-in. */
    closeUser(userId: string): number {
      let n = 0
      for (const s of sessions) if (s.userId === userId) {
        s.ws.close(4401, 'account no longer active')
        n++
      }
      return n
    },

    closeAll(): void {
      if (heartbeat) clearInterval(heartbeat)
      boards.clear()
      for (const s of sessions) s.ws.close(1001, 'gateway shutting down')
    },

    get size(): number {
      return sessions.size
    },
  }
}

export type LiveHub = ReturnType<typeof createLiveHub>
