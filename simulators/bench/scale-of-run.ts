/** How big and how long each figure's run is; `bench` (default), `quick` and `smoke` (npm test) differ only here. */
export interface Scale {
  readonly name: 'full' | 'quick' | 'smoke'
  readonly runs: number
  /** Background devices and their total events/s (figure 1). */
  readonly background: number
  readonly backgroundRate: number
  readonly latencySamples: number
  readonly latencySpacingMs: number
  /**
   * Outstanding QoS 1 publishes in the closed-loop throughput search (3 per device), and its duration. Fewer starve
   * the gateway: it commits everything it has read in one group, then idles while the PUBACKs make the round trip.
   */
  readonly window: number
  readonly throughputMs: number
  /** Open-loop confirmation of the found rate. */
  readonly confirmMs: number
  readonly alarm: number
  /** Alarms timed while the fleet sends at 90 % of the sustained rate (alert latency under heavy load), 100 ms apart. */
  readonly loadedSamples: number
  readonly screens: number
  readonly fanoutSamples: number
  readonly scaleDevices: number
  readonly scaleMs: number
  readonly recoveryRows: number
  readonly recoveryAlerts: number
  readonly devicePublishRate: number
}

export const scales: Record<Scale['name'], Scale> = {
  full: { name: 'full', runs: 3, background: 1000, backgroundRate: 1000, latencySamples: 300, latencySpacingMs: 50, window: 6000, throughputMs: 6000, confirmMs: 5000, alarm: 1000, loadedSamples: 30, screens: 1000, fanoutSamples: 30, scaleDevices: 20_000, scaleMs: 30_000, recoveryRows: 1_000_000, recoveryAlerts: 1000, devicePublishRate: 1000 },
  quick: { name: 'quick', runs: 1, background: 1000, backgroundRate: 1000, latencySamples: 100, latencySpacingMs: 50, window: 6000, throughputMs: 3000, confirmMs: 2000, alarm: 200, loadedSamples: 10, screens: 1000, fanoutSamples: 10, scaleDevices: 5000, scaleMs: 10_000, recoveryRows: 100_000, recoveryAlerts: 200, devicePublishRate: 1000 },
  smoke: { name: 'smoke', runs: 1, background: 50, backgroundRate: 100, latencySamples: 10, latencySpacingMs: 50, window: 50, throughputMs: 500, confirmMs: 500, alarm: 10, loadedSamples: 3, screens: 10, fanoutSamples: 3, scaleDevices: 100, scaleMs: 2000, recoveryRows: 500, recoveryAlerts: 10, devicePublishRate: 1000 },
}
