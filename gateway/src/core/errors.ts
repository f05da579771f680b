/**
 * The gateway's error catalogue (fastify's `lib/errors.js` pattern): every error has a stable code,
 * a message template and a category. `test/errors.test.ts` checks that each code is documented in docs/errors.md.
 */
export type ErrorCategory = 'config' | 'input' | 'auth' | 'lifecycle' | 'transport' | 'storage' | 'bug'

interface CatalogueEntry {
  readonly category: ErrorCategory
  /** `%s` placeholders are filled in order by the arguments given to `gatewayError`. */
  readonly template: string
  /** HTTP status used when the error reaches an API client. */
  readonly status: number
}

export const errorCatalogue = {
  GW_ERR_CONFIG_INVALID: { category: 'config', template: 'invalid configuration in %s:\n%s', status: 500 },
  GW_ERR_CONFIG_UNREADABLE: { category: 'config', template: 'cannot read configuration file %s: %s', status: 500 },
  GW_ERR_OPTION_INVALID: { category: 'config', template: 'invalid option %s: %s', status: 500 },
  GW_ERR_INPUT_TOO_LARGE: { category: 'input', template: 'payload is %s bytes, larger than the %s byte limit', status: 413 },
  GW_ERR_INPUT_NOT_JSON: { category: 'input', template: 'payload is not valid JSON: %s', status: 400 },
  GW_ERR_INPUT_BAD_SHAPE: { category: 'input', template: 'payload does not match the event schema: %s', status: 400 },
  GW_ERR_INPUT_BAD_TOPIC: { category: 'input', template: "topic '%s' is not a device event topic (expected care/<site>/device/<device_id>/event or .../status)", status: 400 },
  GW_ERR_INPUT_UNKNOWN_DEVICE: { category: 'input', template: "unknown device '%s'", status: 404 },
  GW_ERR_INPUT_WRONG_SITE: { category: 'input', template: "device '%s' belongs to site '%s', not '%s'", status: 403 },
  GW_ERR_INPUT_FOREIGN_DEVICE: { category: 'input', template: "client '%s' may not publish for device '%s'", status: 403 },
  GW_ERR_INPUT_DEVICE_DISABLED: { category: 'input', template: "device '%s' is disabled in the configuration (%s)", status: 403 },
  GW_ERR_INPUT_UNKNOWN_EVENT_TYPE: { category: 'input', template: "device type '%s' has no event type '%s' (known: %s)", status: 400 },
  GW_ERR_AUTH_REQUIRED: { category: 'auth', template: 'authentication required', status: 401 },
  GW_ERR_AUTH_FORBIDDEN: { category: 'auth', template: '%s', status: 403 },
  GW_ERR_AUTH_BAD_CREDENTIALS: { category: 'auth', template: "bad credentials for '%s'", status: 401 },
  GW_ERR_AUTH_LOGIN_FAILED: { category: 'auth', template: 'the user id or password is wrong, or the account cannot sign in', status: 401 },
  GW_ERR_AUTH_THROTTLED: { category: 'auth', template: 'too many failed sign-ins; try again in %s minutes', status: 429 },
  GW_ERR_AUTH_CSRF: { category: 'auth', template: '%s', status: 403 },
  GW_ERR_AUTH_LINK_INVALID: { category: 'auth', template: 'this %s link is not valid: %s', status: 400 },
  GW_ERR_AUTH_PASSWORD_WEAK: { category: 'auth', template: 'password: %s', status: 400 },
  GW_ERR_CONFIG_CHANGE_INVALID: { category: 'config', template: 'the change to %s would make the configuration invalid: %s', status: 400 },
  GW_ERR_CONFIG_STALE_VERSION: { category: 'config', template: 'the configuration changed since version %s (now version %s, by %s); reload, check the change and apply yours again', status: 409 },
  GW_ERR_CONFIG_NOT_FOUND: { category: 'config', template: "there is no %s '%s' in the configuration", status: 404 },
  GW_ERR_API_BAD_REQUEST: { category: 'input', template: '%s', status: 400 },
  GW_ERR_API_NOT_FOUND: { category: 'input', template: "no route for %s %s", status: 404 },
  GW_ERR_ALERT_NOT_FOUND: { category: 'lifecycle', template: "no alert '%s'", status: 404 },
  GW_ERR_LIFECYCLE_INVALID_TRANSITION: { category: 'lifecycle', template: "%s '%s' cannot '%s' from state '%s'", status: 409 },
  GW_ERR_LIFECYCLE_ALREADY_ACCEPTED: { category: 'lifecycle', template: "alert '%s' was already accepted by %s", status: 409 },
  GW_ERR_LIFECYCLE_NOT_RECIPIENT: { category: 'lifecycle', template: "user '%s' is not responsible for alert '%s'", status: 403 },
  GW_ERR_SUBJECT_NOT_FOUND: { category: 'input', template: "nothing is held about person '%s' (not in any configuration version, no records)", status: 404 },
  GW_ERR_SUBJECT_ACTIVE: { category: 'input', template: "person '%s' is still active in the configuration: disable them first (POST /api/config/people/%s/disable, or /admin), then erase", status: 409 },
  GW_ERR_SUBJECT_OPEN_ALERTS: { category: 'input', template: "person '%s' has %s open alert(s) (%s): close them with an outcome first, then erase", status: 409 },
  GW_ERR_AUDIT_KEY: { category: 'storage', template: 'audit key file %s: %s', status: 500 },
  GW_ERR_STORE_DURABILITY: { category: 'storage', template: 'database durability check failed: %s', status: 500 },
  GW_ERR_STORE_WRITE_FAILED: { category: 'storage', template: 'database write failed: %s', status: 503 },
  GW_ERR_STORE_NOT_DURABLE: { category: 'storage', template: 'recorded and acted on, but the disk did not confirm it (storage failing): %s', status: 503 },
  GW_ERR_BUG: { category: 'bug', template: 'internal error: %s', status: 500 },
} as const satisfies Record<string, CatalogueEntry>

export type ErrorCode = keyof typeof errorCatalogue

/** An error the gateway raises on purpose. `details` carries data for the caller (MQTT.js `ErrorWithReasonCode` style). */
export class GatewayError extends Error {
  override readonly name = 'GatewayError'
  readonly category: ErrorCategory
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.category = errorCatalogue[code].category
    this.status = errorCatalogue[code].status
  }
}

/** Build a catalogued error, filling the template's `%s` slots in order. */
export function gatewayError(code: ErrorCode, args: readonly unknown[] = [], details: Record<string, unknown> = {}, cause?: unknown): GatewayError {
  let i = 0
  const message = errorCatalogue[code].template.replace(/%s/g, () => String(args[i++] ?? ''))
  return new GatewayError(code, message, details, cause === undefined ? undefined : { cause })
}

/** True when `e` is a GatewayError, optionally with the given code. */
export function isGatewayError(e: unknown, code?: ErrorCode): e is GatewayError {
  return e instanceof GatewayError && (code === undefined || e.code === code)
}
