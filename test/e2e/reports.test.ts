import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, eventually, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js'

describe('service reports over the API, from what really happened', () => {
  let gw: GatewayProcess
  const tl = () => gw.credentials.users['tl-kim']!
  beforeAll(async () => {
    gw = await startGatewayProcess()
  })
  afterAll(async () => {
    await gw?.kill('SIGTERM')
  })

  it('two seizure alarms, accepted and closed (one a false alarm): response times, shares, false-alarm rate, delivery and availability', async () => {
    const monitor = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    for (const outcome of ['false_alarm', 'real']) {
      await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
      const alert = await eventually(async () => (await api(gw.httpPort, tl(), '/api/alerts?state=open')).body.alerts.find((a: any) => a.alert_class === 'SEIZURE'), 'a seizure alert')
      expect((await api(gw.httpPort, tl(), `/api/alerts/${alert.id}/accept`, { method: 'POST', body: {} })).status).toBe(200)
      expect((await api(gw.httpPort, tl(), `/api/alerts/${alert.id}/close`, { method: 'POST', body: { outcome } })).status).toBe(200)
    }
    await monitor.endAsync()

    const r = await api(gw.httpPort, tl(), '/api/reports')
    expect(r.status).toBe(200)
    expect(r.body.response_times.overall).toMatchObject({ key: 'all', alerts: 2, to_accept: { count: 2 }, to_close: { count: 2 }, accepted_within_60s_pct: 100, accepted_within_180s_pct: 100 })
    expect(r.body.response_times.overall.to_first_notification.count).toBe(2)
    expect(r.body.response_times.by.carer).toEqual([expect.objectContaining({ key: 'tl-kim', alerts: 2 })])
    expect(r.body.response_times.by.priority).toEqual([expect.objectContaining({ key: 'high', alerts: 2 })])
    expect(r.body.false_alarms.by_person).toEqual([{ key: 'p-002', closed: 2, false_alarms: 1, false_alarm_pct: 50 }])
    expect(r.body.false_alarms.by_device).toEqual([{ key: 'sz-r14', closed: 2, false_alarms: 1, false_alarm_pct: 50 }])
    expect(r.body.delivery.length).toBeGreaterThan(0)
    expect(r.body.delivery.every((d: any) => d.failed === 0)).toBe(true)
    expect(r.body.availability.find((d: any) => d.device_id === 'sz-r14')).toMatchObject({ available_pct: 100, outages: 0 })

    const csv = await fetch(`http://127.0.0.1:${gw.httpPort}/api/reports/response-times.csv?by=person`, { headers: { authorization: `Bearer ${tl()}` } })
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="response-times-by-person.csv"')
    const lines = (await csv.text()).trim().split('\r\n')
    expect(lines[0]).toMatch(/^person,alerts,to_first_notification_count,/)
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['p-002,2', 'all,2'])
    const fa = await fetch(`http://127.0.0.1:${gw.httpPort}/api/reports/false-alarms.csv?by=rule`, { headers: { authorization: `Bearer ${tl()}` } })
    expect((await fa.text()).trim().split('\r\n')).toHaveLength(2)
  })

  it('refuses carers (audited) and bad periods precisely', async () => {
    expect((await api(gw.httpPort, gw.credentials.users['c-bob']!, '/api/reports')).status).toBe(403)
    const bad = await api(gw.httpPort, tl(), '/api/reports?from=2026-13-01')
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('from must be a date')
    expect((await api(gw.httpPort, tl(), '/api/reports/response-times.csv?by=colour')).body.error.message).toContain('by must be one of site, person, carer, priority, month')
  })
})
