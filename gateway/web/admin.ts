// The AT team's configuration screens (/admin): people, devices, rules, ladders, rota, pagers, users; rule
// replay; audit search and export; version history. AT admins edit; team leaders and auditors read; every
// other role is told the screen is not for them (and the API refuses them anyway).
import { el } from './lib/admin-form.js'
import { renderAudit } from './lib/admin-audit.js'
import { type EditorHost, renderEditor, renderList } from './lib/admin-editor.js'
import { renderHistory } from './lib/admin-history.js'
import { renderReplay } from './lib/admin-replay.js'
import type { Entity, SectionId } from './lib/admin-sections.js'
import { type AdminState, announce, loadState } from './lib/admin-state.js'
import { api, ApiError, currentSession, requireSignIn, signOut } from './lib/session.js'

const sectionIds: readonly SectionId[] = ['people', 'devices', 'rules', 'escalation', 'rota', 'pagers', 'users']
const view = document.getElementById('view')!

const session = await requireSignIn(['at_admin', 'team_leader', 'auditor'])
const who = session ?? (await currentSession().catch(() => null))
if (who) {
  document.getElementById('user')!.textContent = `Signed in as ${who.user.display_name} (${who.user.role.replace('_', ' ')})`
  const out = document.getElementById('sign-out')!
  out.hidden = false
  out.addEventListener('click', () => void signOut())
}
if (who && !session) {
  document.getElementById('role-name')!.textContent = who.user.role.replace('_', ' ')
  document.getElementById('role-refused')!.hidden = false
} else if (session) {
  document.getElementById('app')!.hidden = false
  let state: AdminState = await loadState(session.user.role)
  const host: EditorHost = {
    get state() {
      return state
    },
    set state(s) {
      state = s
    },
    async reload() {
      state = await loadState(session.user.role)
      showVersion()
    },
    replay(personId, rule) {
      history.replaceState(null, '', '#replay')
      markTab('replay')
      renderReplay(view, state, { personId, rule }, saveProposed)
    },
  }
  const showVersion = () => (document.getElementById('version')!.textContent = `Active configuration: version ${state.version}${state.canEdit ? '' : ' (read only for your role)'}`)

  async function saveProposed(personId: string, rule: Entity): Promise<void> {
    try {
      const r = await api('PUT', `/api/config/people/${encodeURIComponent(personId)}/rules/${encodeURIComponent(String(rule.id))}`, { entity: rule, base_version: state.version, source: 'ui' })
      await host.reload()
      announce(r.changed ? `Saved as version ${r.version}.` : 'Nothing changed; nothing saved.')
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      // The rule editor shows each problem next to its field.
      const person = state.document.people.find((p) => p.id === personId)
      const i = person?.rules.findIndex((r) => r.id === rule.id) ?? -1
      renderEditor(view, host, 'rules', i >= 0 ? rule : null, i, personId)
      announce(`Not saved: ${err.message}`, false)
    }
  }

  function markTab(tab: string): void {
    for (const a of document.querySelectorAll<HTMLAnchorElement>('nav.tabs a')) {
      if (a.hash === `#${tab}`) a.setAttribute('aria-current', 'page')
      else a.removeAttribute('aria-current')
    }
  }

  async function route(): Promise<void> {
    const tab = location.hash.slice(1) || 'people'
    markTab(tab)
    announce('')
    if ((sectionIds as readonly string[]).includes(tab)) return renderList(view, host, tab as SectionId)
    if (tab === 'replay') return renderReplay(view, state, undefined, saveProposed)
    if (tab === 'audit') return renderAudit(view, state)
    if (tab === 'history') return renderHistory(view)
    if (tab === 'file') return renderFileOnly()
    renderList(view, host, 'people')
  }

  /** Sections the web app does not edit in this release. */
  function renderFileOnly(): void {
    view.replaceChildren(el('h2', { id: 'view-heading', tabindex: '-1' }, 'Sites, lines, inputs, bridges, broker, retention'))
    view.append(el('p', { class: 'note' }, 'Read only here: these settings wire hardware and listeners, so they change in the configuration file, followed by a restart. The file is imported as a new version when it changes.'))
    for (const key of ['sites', 'lines', 'inputs', 'zigbee2mqtt', 'broker', 'ingest', 'retention']) {
      view.append(el('h3', {}, key), el('pre', { tabindex: '0', 'aria-label': `${key} settings` }, JSON.stringify((state.document as Record<string, unknown>)[key] ?? null, null, 2)))
    }
  }

  showVersion()
  window.addEventListener('hashchange', () => void route())
  await route()
}
