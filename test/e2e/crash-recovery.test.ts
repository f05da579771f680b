import { afterEach, describe, expect, it } from 'vitest'
import { api, connectDevice, connectScreen, eventually, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js'

/**
 * "Acknowledged means durable" (issue 2): aedes sends PUBACK before persisting, so the gateway commits
 * inside authorizePublish. These tests SIGKILL the real process right after a PUBACK and restart it
 * on the same data directory.
 */
describe('kill -9 right after a PUBACK', () => {
  const running: GatewayProcess[] = []
  afterEach(async () => {
    for (const gw of running.splice(0)) await gw.kill('SIGKILL')
  })

  it('raises a pending bed-exit alert exactly once after restart, and a redelivery is recorded, not re-processed', async () => {
    const first = await startGatewayProcess()
    running.push(first)
    const bed = await connectDevice(first.mqttPort, 'bed-r12', first.credentials.devices['bed-r12']!)
    const outId = await publishEvent(bed, 'bed-r12', { type: 'out_of_bed' })
    // PUBACK received: the event is ours to keep. Crash now, before the 2 s deadline.
    await first.kill('SIGKILL')
    bed.end(true)

    const second = await startGatewayProcess({ dataDir: first.dataDir })
    running.push(second)
    const kim = second.credentials.users['tl-kim']!
    const alerts = await eventually(async () => {
      const r = await api(second.httpPort, kim, '/api/alerts')
      return r.body.alerts.length > 0 ? (r.body.alerts as { id: string; rule_id: string; trigger_count: number }[]) : null
    }, 'the bed-exit alert after restart')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ rule_id: 'bed-exit-night', trigger_count: 1 })

    // The device never saw... suppose its PUBACK was lost: it resends the same event id (QoS 1 redelivery).
    const bed2 = await connectDevice(second.mqttPort, 'bed-r12', second.credentials.devices['bed-r12']!)
    await publishEvent(bed2, 'bed-r12', { type: 'out_of_bed', event_id: outId })
    await bed2.endAsync()
    const after = await api(second.httpPort, kim, '/api/alerts')
    expect(after.body.alerts).toHaveLength(1)
    expect(after.body.alerts[0].trigger_count).toBe(1)
    const dups = await api(second.httpPort, kim, '/api/audit?kind=event.duplicate')
    expect(dups.body.entries).toHaveLength(1)
    expect(dups.body.entries[0].detail).toMatchObject({ event_id: outId, type: 'out_of_bed' })
    const raises = await api(second.httpPort, kim, '/api/audit?kind=rule.decision&device=bed-r12')
    expect(raises.body.entries.filter((e: { detail: { outcome: string } }) => e.detail.outcome === 'raise')).toHaveLength(1)
  })

  it('sends a seizure page that was committed but not yet sent when the process died (durable outbox)', async () => {
    const first = await startGatewayProcess()
    running.push(first)
    const monitor = await connectDevice(first.mqttPort, 'sz-r14', first.credentials.devices['sz-r14']!)
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
    await first.kill('SIGKILL')
    monitor.end(true)

    const second = await startGatewayProcess({ dataDir: first.dataDir })
    running.push(second)
    const bob = await connectScreen(second.httpPort, second.credentials.users['c-bob']!)
    const snapshot = await bob.waitFor((m) => m.type === 'snapshot', 'snapshot')
    const alerts = snapshot.alerts as { alert_class: string; state: string; room_code: string }[]
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ alert_class: 'SEIZURE', room_code: 'R14', state: 'active' })
    const notes = snapshot.notifications as { text: string; state: string }[]
    expect(notes).toHaveLength(1)
    expect(notes[0]!.text).toBe('R14 SEIZURE')
    // Whatever the crash interrupted, the outbox reaches "sent" after restart.
    await eventually(async () => {
      const r = await api(second.httpPort, second.credentials.users['tl-kim']!, '/api/audit?kind=notification.transition')
      return r.body.entries.some((e: { detail: { to: string } }) => e.detail.to === 'sent')
    }, 'the queued page to be sent after restart')
    bob.close()
  })
})
