// The configuration as the admin page holds it: the active document, its version, and what forms need.
import { api } from './session.js'
import type { Context, Doc } from './admin-sections.js'

export interface AdminState {
  version: number
  document: Doc
  context: Context
  disabledDevices: Record<string, string>
  /** AT admins change the configuration; team leaders and auditors read it. */
  readonly canEdit: boolean
  readonly role: string
}

/** Load (or reload) the active configuration. */
export async function loadState(role: string): Promise<AdminState> {
  const [cfg, context] = await Promise.all([api('GET', '/api/config'), api('GET', '/api/config/context')])
  return { version: cfg.version, document: cfg.document, context, disabledDevices: cfg.disabled_devices ?? {}, canEdit: role === 'at_admin', role }
}

/** Announce an outcome in the page's status line (a live region). */
export function announce(text: string, ok = true): void {
  const s = document.getElementById('status')!
  s.textContent = text
  s.dataset.ok = String(ok)
}
