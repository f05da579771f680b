import { join } from 'node:path'

/**
 * Where the audit key and anchor file live: flags, then environment, then the data directory. Shared by
 * the gateway and its command-line tools so they always agree.
 */
export function auditPaths(dataDir: string, flags: { keyFile?: string | undefined; anchorFile?: string | undefined }, env: NodeJS.ProcessEnv): { keyFile: string; anchorFile: string } {
  return {
    keyFile: flags.keyFile ?? env.GATEWAY_AUDIT_KEY_FILE ?? join(dataDir, 'audit.key'),
    anchorFile: flags.anchorFile ?? env.GATEWAY_AUDIT_ANCHOR_FILE ?? join(dataDir, 'audit-anchors.jsonl'),
  }
}
