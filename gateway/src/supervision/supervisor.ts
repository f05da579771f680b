/** A device's reporting window: a message at least every `intervalMs`, plus `graceMs`. */
export interface Window {
  readonly intervalMs: number
  readonly graceMs: number
}

/** What supervision concluded at a moment; the pipeline turns these into alert transitions. */
export type SupervisionChange =
  | { readonly kind: 'silent'; readonly deviceId: string; readonly lastSeen: number; readonly windowMs: number }
  | { readonly kind: 'restored'; readonly deviceId: string; readonly silentFor: number }
  | { readonly kind: 'stable'; readonly deviceId: string }

interface Track {
  lastSeen: number
  silent: boolean
  /** Set when a silent device spoke again; the alert ends only after it has then reported steadily for a whole window. */
  restoredAt: number | null
  battery: number | null
}

/**
 * Per-device supervision (issue 6): silence past the window is reported once ("not reporting"); the next
 * message records "restored"; the alert ends only once the device has reported steadily for a full window
 * again, so a device that flaps (silent, back, silent …) stays one open alert with a repeat count instead
 * of ten alerts. Pure: time comes in as arguments. Last-seen times live in memory: after a restart every
 * window starts again from the start time (documented; the journal keeps the history).
 */
export class DeviceSupervisor {
  private readonly tracks = new Map<string, Track>()

  constructor(
    private windows: ReadonlyMap<string, Window>,
    startedAt: number,
  ) {
    for (const id of windows.keys()) this.tracks.set(id, { lastSeen: startedAt, silent: false, restoredAt: null, battery: null })
  }

  /**
   * The configuration changed while running (issue 7): a new device's window starts now, a device without a window (taken
   * out, or supervision switched off) is no longer checked, and a changed window applies from the next check.
   */
  setWindows(windows: ReadonlyMap<string, Window>, now: number): void {
    this.windows = windows
    for (const id of windows.keys()) if (!this.tracks.has(id)) this.tracks.set(id, { lastSeen: now, silent: false, restoredAt: null, battery: null })
  }

  /** A message from the device at `at`. */
  seen(deviceId: string, at: number, battery?: number): SupervisionChange | null {
    const t = this.tracks.get(deviceId) ?? this.add(deviceId, at)
    if (battery !== undefined) t.battery = battery
    const before = t.lastSeen
    t.lastSeen = Math.max(t.lastSeen, at)
    if (!t.silent) return null
    t.silent = false
    t.restoredAt = at
    return { kind: 'restored', deviceId, silentFor: at - before }
  }

  /** Everything that changed by `now`: devices gone silent, restored devices now steady for a whole window. */
  due(now: number): SupervisionChange[] {
    const out: SupervisionChange[] = []
    for (const [deviceId, t] of this.tracks) {
      const w = this.windows.get(deviceId)
      if (!w || w.intervalMs === 0) continue
      const limit = w.intervalMs + w.graceMs
      if (!t.silent && now - t.lastSeen > limit) {
        t.silent = true
        out.push({ kind: 'silent', deviceId, lastSeen: t.lastSeen, windowMs: limit })
      } else if (!t.silent && t.restoredAt !== null && now - t.restoredAt > limit) {
        t.restoredAt = null
        out.push({ kind: 'stable', deviceId })
      }
    }
    return out
  }

  /** The device is known to be gone now (its MQTT last will, or its bridge says offline); false if it already was. */
  markSilent(deviceId: string): boolean {
    const t = this.tracks.get(deviceId)
    if (!t || t.silent) return false
    t.silent = true
    t.restoredAt = null
    return true
  }

  /** Health for the dashboard. */
  health(deviceId: string): { lastSeen: number | null; online: boolean; battery: number | null } {
    const t = this.tracks.get(deviceId)
    return { lastSeen: t?.lastSeen ?? null, online: t ? !t.silent : false, battery: t?.battery ?? null }
  }

  private add(deviceId: string, at: number): Track {
    const t = { lastSeen: at, silent: false, restoredAt: null, battery: null }
    this.tracks.set(deviceId, t)
    return t
  }
}
