// Audit search (by person, device, alert, carer or other actor, kind, time) and export as CSV or JSON.
import { el } from './admin-form.js'
import { type AdminState, announce } from './admin-state.js'
import { api, ApiError } from './session.js'

interface Row { seq: number; at: string; kind: string; actor: string; alert_id: string | null; device_id: string | null; person_id: string | null; detail: Record<string, unknown> }

const kinds = ['alert.transition', 'notification.transition', 'rule.decision', 'rule.changed', 'config.changed', 'event.received', 'input.rejected', 'access.refused', 'command.refused', 'suppression.set', 'suppression.cleared', 'credential.issued', 'auth.login', 'auth.login_failed']

export function renderAudit(view: HTMLElement, state: AdminState): void {
  view.replaceChildren()
  view.append(el('h2', { id: 'view-heading', tabindex: '-1' }, 'Audit trail'))
  const form = el('form', { novalidate: '', class: 'audit-form', 'aria-labelledby': 'view-heading' })
  const select = (id: string, label: string, options: [string, string][]) => {
    const s = el('select', { id, name: id.replace('audit-', '') })
    for (const [v, t] of [['', 'any'] as [string, string], ...options]) s.append(el('option', { value: v }, t))
    return wrap(label, s)
  }
  const input = (id: string, label: string, type = 'text') => wrap(label, el('input', { id, name: id.replace('audit-', ''), type, autocomplete: 'off' }))
  form.append(
    select('audit-person', 'Person', state.document.people.map((p) => [p.id, `${p.id} (${String(p.room_code)})`])),
    select('audit-device', 'Device', state.document.devices.map((d) => [String(d.id), String(d.id)])),
    input('audit-alert', 'Alert id'),
    select('audit-actor', 'Carer or other user', state.context.users.map((u) => [u.id, `${u.display_name} (${u.id})`])),
    select('audit-kind', 'Kind', kinds.map((k) => [k, k])),
    input('audit-from', 'From (date)', 'date'),
    input('audit-to', 'To (date)', 'date'),
  )
  const error = el('p', { id: 'audit-error', class: 'field-error', role: 'alert' })
  const buttons = el('div', { class: 'form-buttons' })
  buttons.append(el('button', { type: 'submit', 'data-action': 'search' }, 'Search'))
  const csv = el('a', { class: 'button-link', 'data-export': 'csv', download: '' }, 'Download CSV')
  const json = el('a', { class: 'button-link', 'data-export': 'json', download: '' }, 'Download JSON')
  buttons.append(csv, json)
  form.append(error, buttons)
  const results = el('section', { id: 'audit-results', 'aria-labelledby': 'audit-results-heading' })
  view.append(form, el('p', { class: 'hint' }, 'Exports hold at most 10,000 rows; a longer result says so in its last row.'), results)

  const query = () => {
    const q = new URLSearchParams()
    for (const c of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) if (c.value.trim()) q.set(c.name, c.value.trim())
    return q
  }
  // The download links always carry the current filters.
  const syncLinks = () => {
    csv.href = `/api/audit/export?${new URLSearchParams([...query(), ['format', 'csv']])}`
    json.href = `/api/audit/export?${new URLSearchParams([...query(), ['format', 'json']])}`
  }
  form.addEventListener('input', syncLinks)
  form.addEventListener('change', syncLinks)
  syncLinks()

  let after: number | null = null
  async function search(more: boolean): Promise<void> {
    error.textContent = ''
    const q = query()
    if (more && after !== null) q.set('after', String(after))
    try {
      const r = await api('GET', `/api/audit/search?${q}`)
      after = r.next_after
      show(r.entries as Row[], more)
      announce(`${results.querySelectorAll('tbody tr').length} audit rows shown${after !== null ? '; more are available' : ''}.`)
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      error.textContent = err.message
      announce(`Search failed: ${err.message}`, false)
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    void search(false)
  })

  function show(rows: Row[], append: boolean): void {
    let tbody = results.querySelector('tbody')
    if (!append || !tbody) {
      results.replaceChildren(el('h3', { id: 'audit-results-heading' }, 'Results'))
      if (rows.length === 0) return void results.append(el('p', {}, 'Nothing matches these filters.'))
      const wrapEl = el('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': 'audit-results-heading' })
      const table = el('table', { id: 'audit-table' })
      const head = el('tr')
      for (const h of ['#', 'Time', 'Kind', 'Actor', 'Person', 'Device', 'Alert', 'Detail']) head.append(el('th', { scope: 'col' }, h))
      table.append(el('thead'), (tbody = el('tbody')))
      table.tHead!.append(head)
      wrapEl.append(table)
      results.append(wrapEl)
    }
    for (const r of rows) {
      const tr = el('tr', { 'data-seq': String(r.seq), 'data-kind': r.kind })
      for (const v of [String(r.seq), new Date(r.at).toLocaleString('en-GB'), r.kind, r.actor, r.person_id ?? '', r.device_id ?? '', r.alert_id ?? '']) tr.append(el('td', {}, v))
      tr.append(el('td', { class: 'detail' }, JSON.stringify(r.detail).slice(0, 300)))
      tbody!.append(tr)
    }
    results.querySelector('[data-action="more"]')?.remove()
    if (after !== null) {
      const more = el('button', { type: 'button', class: 'secondary', 'data-action': 'more' }, 'Show more')
      more.addEventListener('click', () => void search(true))
      results.append(more)
    }
  }
  ;(view.querySelector('h2') as HTMLElement).focus()
}

function wrap(label: string, control: HTMLElement): HTMLElement {
  const d = el('div', { class: 'field' })
  d.append(el('label', { for: control.id }, label), control)
  return d
}
