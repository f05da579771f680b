/** Prometheus text exposition of the gateway's counters (no labels carry personal data). */
export function renderMetrics(m: { eventsAccepted: number; duplicates: number; rejections: ReadonlyMap<string, number>; screens: number; commitBacklog: number; walSyncs: number; storageFailing: boolean; brokerRefusals: Readonly<Record<string, number>> }): string {
  const lines = [
    '# HELP gateway_events_accepted_total Device events durably journaled.',
    '# TYPE gateway_events_accepted_total counter',
    `gateway_events_accepted_total ${m.eventsAccepted}`,
    '# HELP gateway_events_duplicate_total Redeliveries of an already journaled (device_id, event_id).',
    '# TYPE gateway_events_duplicate_total counter',
    `gateway_events_duplicate_total ${m.duplicates}`,
    '# HELP gateway_input_rejected_total Device messages rejected at the edge, by error code.',
    '# TYPE gateway_input_rejected_total counter',
    ...[...m.rejections].map(([code, n]) => `gateway_input_rejected_total{code="${code}"} ${n}`),
    '# HELP gateway_broker_refused_total MQTT connections, publishes, subscriptions and wills the broker refused, by reason.',
    '# TYPE gateway_broker_refused_total counter',
    ...Object.entries(m.brokerRefusals).map(([reason, n]) => `gateway_broker_refused_total{reason="${reason}"} ${n}`),
    '# HELP gateway_live_screens Connected WebSocket screens.',
    '# TYPE gateway_live_screens gauge',
    `gateway_live_screens ${m.screens}`,
    '# HELP gateway_commit_backlog Units of work waiting for the next group commit.',
    '# TYPE gateway_commit_backlog gauge',
    `gateway_commit_backlog ${m.commitBacklog}`,
    '# HELP gateway_wal_syncs_total fdatasyncs of the write-ahead log that acknowledgements waited for.',
    '# TYPE gateway_wal_syncs_total counter',
    `gateway_wal_syncs_total ${m.walSyncs}`,
    '# HELP gateway_storage_failing 1 while the database refuses writes (alarms are still paged, nothing is acknowledged), and for good once a sync of the write-ahead log has failed (until a restart).',
    '# TYPE gateway_storage_failing gauge',
    `gateway_storage_failing ${m.storageFailing ? 1 : 0}`,
  ]
  return lines.join('\n') + '\n'
}
