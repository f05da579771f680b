import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { Repositories } from '../core/contracts.js'
import { generateSecret, hashSecret } from './secrets.js'

/** Newly issued credentials, as written to the hand-over file. */
export interface IssuedCredentials {
  devices: Record<string, string>
  /** User id → access token (`<user_id>.<secret>`). */
  users: Record<string, string>
}

/**
 * No default passwords (ETSI EN 303 645 §5.1): any configured device or user without a credential gets a
 * fresh random one on start. The plain secrets are written once to a hand-over file readable only by the
 * gateway's user (mode 0600), never logged; the database keeps only scrypt hashes. Later issuances are merged
 * into the same file so an installer can collect them; deleting the file loses nothing but that copy.
 */
export async function issueMissingCredentials(
  repos: Pick<Repositories, 'credentials' | 'audit'>,
  want: { devices: readonly string[]; users: readonly string[] },
  handoverFile: string,
  now: number,
): Promise<IssuedCredentials> {
  const issued: IssuedCredentials = { devices: {}, users: {} }
  for (const [kind, ids] of [['device', want.devices], ['user', want.users]] as const) {
    for (const id of ids) {
      if (repos.credentials.get(id)) continue
      const secret = generateSecret()
      repos.credentials.put(id, kind, await hashSecret(secret), now)
      repos.audit.append({ at: now, kind: 'credential.issued', actor: 'gateway', deviceId: kind === 'device' ? id : null, detail: { principal: id, principal_kind: kind, via: 'first start' } })
      if (kind === 'device') issued.devices[id] = secret
      else issued.users[id] = `${id}.${secret}`
    }
  }
  const count = Object.keys(issued.devices).length + Object.keys(issued.users).length
  if (count > 0) {
    const previous: IssuedCredentials = existsSync(handoverFile) ? (JSON.parse(readFileSync(handoverFile, 'utf8')) as IssuedCredentials) : { devices: {}, users: {} }
    const merged = { devices: { ...previous.devices, ...issued.devices }, users: { ...previous.users, ...issued.users } }
    writeFileSync(handoverFile, JSON.stringify(merged, null, 2) + '\n', { mode: 0o600 })
    chmodSync(handoverFile, 0o600)
  }
  return issued
}
