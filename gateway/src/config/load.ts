import { readFileSync } from 'node:fs'
import { gatewayError } from '../core/errors.js'
import { buildConfigSchema, type GatewayConfig, type SchemaContext } from './schema.js'

/** Freeze an object graph so configuration cannot change after start-up (fastify `deepFreezeObject`). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** Validate a parsed configuration object; throws GW_ERR_CONFIG_INVALID listing every problem as `path: message`. */
export function parseConfig(raw: unknown, ctx: SchemaContext, source = '(inline)'): Readonly<GatewayConfig> {
  const result = buildConfigSchema(ctx).safeParse(raw)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    throw gatewayError('GW_ERR_CONFIG_INVALID', [source, problems.map((p) => `  - ${p}`).join('\n')], { problems })
  }
  return deepFreeze(result.data)
}

/** Read, parse and validate the configuration file. */
export function loadConfig(path: string, ctx: SchemaContext): Readonly<GatewayConfig> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw gatewayError('GW_ERR_CONFIG_UNREADABLE', [path, (err as Error).message], {}, err)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw gatewayError('GW_ERR_CONFIG_INVALID', [path, `  - (file): not valid JSON: ${(err as Error).message}`], { problems: [`(file): not valid JSON: ${(err as Error).message}`] }, err)
  }
  return parseConfig(raw, ctx, path)
}
