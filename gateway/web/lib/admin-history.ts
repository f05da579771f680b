// Version history: who changed what, when and why, with the entity before and after.
import { el } from './admin-form.js'
import { api } from './session.js'

interface Version { version: number; at: string; changed_by: string; note: string | null; source: string; summary: Record<string, unknown> }

const what = (v: Version) => {
  const s = v.summary
  if (s.op === 'import') return `imported from the file ${String(s.file ?? '')}`
  return `${String(s.op)} ${s.section === 'rules' ? `rule ${String(s.key)} of ${String(s.person)}` : `${String(s.section)} ${String(s.key)}`}`
}

export async function renderHistory(view: HTMLElement): Promise<void> {
  view.replaceChildren(el('h2', { id: 'view-heading', tabindex: '-1' }, 'Version history'))
  const r = await api('GET', '/api/config/versions?limit=100')
  const wrapEl = el('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': 'view-heading' })
  const table = el('table', { id: 'history-table' })
  const head = el('tr')
  for (const h of ['Version', 'When', 'Who', 'How', 'What', 'Note', 'Change']) head.append(el('th', { scope: 'col' }, h))
  table.append(el('thead'), el('tbody'))
  table.tHead!.append(head)
  const detail = el('section', { id: 'history-detail', 'aria-live': 'polite' })
  for (const v of r.versions as Version[]) {
    const tr = el('tr', { 'data-version': String(v.version) })
    tr.append(el('th', { scope: 'row' }, String(v.version)))
    for (const t of [new Date(v.at).toLocaleString('en-GB'), v.changed_by, v.source, what(v), v.note ?? '—']) tr.append(el('td', {}, t))
    const cell = el('td')
    if (v.summary.section) {
      const b = el('button', { type: 'button', class: 'secondary', 'data-action': 'show-change' }, `Before and after, version ${v.version}`)
      b.addEventListener('click', () => void showChange(detail, v.version))
      cell.append(b)
    }
    tr.append(cell)
    table.tBodies[0]!.append(tr)
  }
  wrapEl.append(table)
  view.append(wrapEl, detail)
  ;(view.querySelector('h2') as HTMLElement).focus()
}

async function showChange(detail: HTMLElement, n: number): Promise<void> {
  const v = await api('GET', `/api/config/versions/${n}`)
  detail.replaceChildren(el('h3', { id: 'change-heading', tabindex: '-1' }, `Version ${n}: ${what(v)}`))
  const pair = el('div', { class: 'side-by-side' })
  for (const [title, value] of [['Before', v.change?.before], ['After', v.change?.after]] as const) {
    const col = el('section', { class: 'replay-column', 'aria-label': title })
    col.append(el('h4', {}, title), el('pre', { tabindex: '0' }, value == null ? '(none)' : JSON.stringify(value, null, 2)))
    pair.append(col)
  }
  detail.append(pair)
  ;(detail.querySelector('h3') as HTMLElement).focus()
}
