import { parseArgs } from 'node:util'
import { auditPaths } from '../audit/paths.js'
import { gatewayError } from '../core/errors.js'

/** Process options: where to listen, where the data and configuration live. Flags win over environment. */
export interface GatewayOptions {
  /** Configuration file. Flag `--config`, env `GATEWAY_CONFIG`. Default `config/demo.json`. */
  readonly configFile: string
  /** Directory for the SQLite database and the credentials hand-over file. `--data-dir`, `GATEWAY_DATA_DIR`. Default `./data`. */
  readonly dataDir: string
  /** Bind address for MQTT and HTTP. `--host`, `GATEWAY_HOST`. Default 127.0.0.1 (loopback only). */
  readonly host: string
  /** MQTT port; 0 picks a free one. `--mqtt-port`, `GATEWAY_MQTT_PORT`. Default 1883. */
  readonly mqttPort: number
  /** HTTP + WebSocket port; 0 picks a free one. `--http-port`, `GATEWAY_HTTP_PORT`. Default 8080. */
  readonly httpPort: number
  /** pino level. `--log-level`, `GATEWAY_LOG_LEVEL`. Default info. */
  readonly logLevel: string
  /** Who made the configuration's rule changes, recorded with each new rule version. `--changed-by`, `GATEWAY_CHANGED_BY`. Default `config-file`. */
  readonly changedBy: string
  /** Why (e.g. the approval reference). `--change-note`, `GATEWAY_CHANGE_NOTE`. */
  readonly changeNote: string | null
  /** HTTPS for the web app and API: PEM key and certificate files. `--tls-key`/`--tls-cert`, `GATEWAY_TLS_KEY`/`GATEWAY_TLS_CERT`. Both or neither. */
  readonly tlsKeyFile: string | null
  /** The audit chain's HMAC key file (kept outside the database). `--audit-key-file`, `GATEWAY_AUDIT_KEY_FILE`. Default `<data-dir>/audit.key`. */
  readonly auditKeyFile: string
  /** Append-only file of chain heads. `--audit-anchor-file`, `GATEWAY_AUDIT_ANCHOR_FILE`. Default `<data-dir>/audit-anchors.jsonl`. */
  readonly auditAnchorFile: string
  readonly tlsCertFile: string | null
}

function port(name: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw gatewayError('GW_ERR_OPTION_INVALID', [name, `'${value}' is not a port number (0–65535)`])
  return n
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): GatewayOptions {
  let values: Record<string, string | undefined>
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' }, 'data-dir': { type: 'string' }, host: { type: 'string' },
        'mqtt-port': { type: 'string' }, 'http-port': { type: 'string' }, 'log-level': { type: 'string' },
        'changed-by': { type: 'string' }, 'change-note': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-cert': { type: 'string' },
        'audit-key-file': { type: 'string' }, 'audit-anchor-file': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | undefined>
  } catch (err) {
    throw gatewayError('GW_ERR_OPTION_INVALID', ['(command line)', (err as Error).message])
  }
  const logLevel = values['log-level'] ?? env.GATEWAY_LOG_LEVEL ?? 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw gatewayError('GW_ERR_OPTION_INVALID', ['log-level', `'${logLevel}' is not a pino level`])
  const tlsKeyFile = values['tls-key'] ?? env.GATEWAY_TLS_KEY ?? null
  const tlsCertFile = values['tls-cert'] ?? env.GATEWAY_TLS_CERT ?? null
  if ((tlsKeyFile === null) !== (tlsCertFile === null)) throw gatewayError('GW_ERR_OPTION_INVALID', [tlsKeyFile ? 'tls-cert' : 'tls-key', 'HTTPS needs both --tls-key and --tls-cert'])
  const dataDir = values['data-dir'] ?? env.GATEWAY_DATA_DIR ?? 'data'
  const audit = auditPaths(dataDir, { keyFile: values['audit-key-file'], anchorFile: values['audit-anchor-file'] }, env)
  return {
    auditKeyFile: audit.keyFile,
    auditAnchorFile: audit.anchorFile,
    tlsKeyFile,
    tlsCertFile,
    configFile: values.config ?? env.GATEWAY_CONFIG ?? 'config/demo.json',
    dataDir,
    host: values.host ?? env.GATEWAY_HOST ?? '127.0.0.1',
    mqttPort: port('mqtt-port', values['mqtt-port'] ?? env.GATEWAY_MQTT_PORT ?? '1883'),
    httpPort: port('http-port', values['http-port'] ?? env.GATEWAY_HTTP_PORT ?? '8080'),
    logLevel,
    changedBy: values['changed-by'] ?? env.GATEWAY_CHANGED_BY ?? 'config-file',
    changeNote: values['change-note'] ?? env.GATEWAY_CHANGE_NOTE ?? null,
  }
}
