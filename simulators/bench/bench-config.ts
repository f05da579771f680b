/**
 * Gateway configurations for the benchmark, generated so the fleet size is a parameter. Written against the
 * configuration reference in the README (the bench, like every simulator, imports nothing from the gateway).
 */
export const SITE = 'bench'
/** The carer who receives latency alerts: a soft pager and an ESPA pager, two route heads, so both are paged. */
export const CARER = 'c-bench'
/** The carer of the throughput alarm people: soft pager only, so the one ESPA line is not what limits throughput. */
export const LOAD_CARER = 'c-load'
export const LEADER = 'tl-bench'
export const ESPA_ADDRESS = '1234'

export const ids = {
  latency: (i: number) => `sz-${String(i).padStart(4, '0')}`,
  latencyRoom: (i: number) => `L${String(i).padStart(4, '0')}`,
  background: (i: number) => `pir-${String(i).padStart(5, '0')}`,
  alarm: (i: number) => `alm-${String(i).padStart(4, '0')}`,
  scale: (i: number) => `hb-${String(i).padStart(5, '0')}`,
  canary: (i: number) => `cn-${String(i).padStart(2, '0')}`,
}

export interface FleetShape {
  /** Seizure monitors whose alarms are timed, one person each (a repeat trigger would not page again). */
  readonly latency: number
  /** PIRs sending heartbeats and motion that an `outside_hours` rule suppresses. */
  readonly background: number
  /** Seizure monitors whose alarms are the 1 % of throughput events that raise alerts (and recovery's open alerts). */
  readonly alarm: number
  /** Heartbeat-only devices, 60 s window (scale). */
  readonly scale: number
  /** Devices with a short supervision window that go silent (scale). */
  readonly canary: number
  /** ESPA line port (a pty), or null for no ESPA pager. */
  readonly espaPort: string | null
  /** Per-device publish rate for the broker (raised so throughput is spread over the fleet, not cut by the limit). */
  readonly devicePublishRate: number
}

/** An hour-long window starting six hours from now in Europe/London: motion now is outside it, so suppressed. */
function inactiveWindow(now = new Date()): { from: string; to: string } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now)
  const h = Number(parts.find((p) => p.type === 'hour')!.value)
  const fmt = (x: number) => `${String(x % 24).padStart(2, '0')}:00`
  return { from: fmt(h + 6), to: fmt(h + 7) }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

export function deviceIds(shape: FleetShape): string[] {
  return [...range(shape.latency).map(ids.latency), ...range(shape.background).map(ids.background), ...range(shape.alarm).map(ids.alarm), ...range(shape.scale).map(ids.scale), ...range(shape.canary).map(ids.canary)]
}

/** The users and pagers every bench configuration shares (also the seed configuration's whole content). */
export function staff(espa: boolean) {
  return {
    sites: [{ id: SITE, timezone: 'Europe/London' }],
    users: [
      { id: CARER, role: 'carer', display_name: 'Bench carer' },
      { id: LOAD_CARER, role: 'carer', display_name: 'Load carer' },
      { id: LEADER, role: 'team_leader', display_name: 'Bench leader' },
    ],
    pagers: [
      { id: 'soft-c', user: CARER, protocol: 'soft' },
      ...(espa ? [{ id: 'espa-c', user: CARER, protocol: 'espa', line: 'espa-main', address: ESPA_ADDRESS, fallback: 'soft-c-fb', max_length: 64 }, { id: 'soft-c-fb', user: CARER, protocol: 'soft' }] : []),
      { id: 'soft-load', user: LOAD_CARER, protocol: 'soft' },
    ],
    // Nobody accepts during a run: a one-hour first step keeps escalation out of the measurements.
    escalation: ['high', 'medium', 'low'].map((priority) => ({ site: SITE, priority, steps: [{ to: 'assigned', wait_s: 3600 }] })),
  }
}

export function benchConfig(shape: FleetShape): Record<string, unknown> {
  const window = inactiveWindow()
  const person = (id: string, room: string, carer: string, rules: unknown[]) => ({ id, site: SITE, room_code: room, carers: [carer], rules })
  const seizure = (device: string) => ({ id: 'seizure', kind: 'immediate', device, on: 'seizure_alarm', clears: 'seizure_cleared', priority: 'high', alert_class: 'SEIZURE' })
  const people = [
    ...range(shape.latency).map((i) => person(`pl-${i}`, ids.latencyRoom(i), CARER, [seizure(ids.latency(i))])),
    ...range(shape.background).map((i) => person(`pb-${i}`, `B${i}`, LOAD_CARER, [{ id: 'motion', kind: 'immediate', device: ids.background(i), on: 'motion', priority: 'low', alert_class: 'MOVEMENT', active_hours: [window] }])),
    ...range(shape.alarm).map((i) => person(`pa-${i}`, `A${i}`, LOAD_CARER, [seizure(ids.alarm(i))])),
  ]
  // Scale devices need a person (every device belongs to one); one person per 100 keeps the config small.
  const scalePeople = range(Math.ceil((shape.scale + shape.canary) / 100)).map((i) => person(`ps-${i}`, `S${i}`, LOAD_CARER, []))
  const dev = (id: string, type: string, personId: string, extra: object = {}) => ({ id, type, site: SITE, person: personId, ...extra })
  const devices = [
    ...range(shape.latency).map((i) => dev(ids.latency(i), 'seizure-monitor', `pl-${i}`)),
    ...range(shape.background).map((i) => dev(ids.background(i), 'pir-motion', `pb-${i}`)),
    ...range(shape.alarm).map((i) => dev(ids.alarm(i), 'seizure-monitor', `pa-${i}`)),
    ...range(shape.scale).map((i) => dev(ids.scale(i), 'pir-motion', `ps-${Math.floor(i / 100)}`, { supervision: { interval_s: 60, grace_s: 30 } })),
    // The canaries share the scale people; a short window so a silent one is reported within seconds.
    ...range(shape.canary).map((i) => dev(ids.canary(i), 'pir-motion', `ps-${Math.floor((shape.scale + i) / 100)}`, { supervision: { interval_s: 4, grace_s: 2 } })),
  ]
  const base = staff(shape.espaPort !== null)
  return {
    ...base,
    people: [...people, ...scalePeople],
    devices,
    ...(shape.espaPort ? { lines: [{ id: 'espa-main', protocol: 'espa', site: SITE, port: shape.espaPort }] } : {}),
    broker: { plaintext: true, device_publish_rate: shape.devicePublishRate },
  }
}
