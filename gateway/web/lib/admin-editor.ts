// List, add, edit, disable and enable the entities of one configuration section.
import { ruleSchema } from '../../src/rules/rule-config.js'
import { el, type FieldIssue, type RenderedForm, renderFields } from './admin-form.js'
import { type Entity, type Section, type SectionId, sections } from './admin-sections.js'
import { type AdminState, announce } from './admin-state.js'
import { api, ApiError } from './session.js'

export interface EditorHost {
  state: AdminState
  /** Reload the configuration and show this section's list again. */
  reload(): Promise<void>
  /** Open the replay screen with a proposed rule for a person. */
  replay(personId: string, rule: Entity): void
}

const urlOf = (s: Section, key: string, personId?: string) => (s.id === 'rules' ? `/api/config/people/${encodeURIComponent(personId!)}/rules/${encodeURIComponent(key)}` : `/api/config/${s.id}/${encodeURIComponent(key)}`)

/** The section's entities (a person's rules for `rules`). */
function entitiesOf(state: AdminState, id: SectionId, personId?: string): Entity[] {
  if (id === 'rules') return state.document.people.find((p) => p.id === personId)?.rules ?? []
  return (state.document[id] as Entity[] | undefined) ?? []
}

/** The list of a section, with the person chooser for rules. */
export function renderList(view: HTMLElement, host: EditorHost, id: SectionId, personId?: string): void {
  const s = sections[id]
  const { state } = host
  view.replaceChildren()
  view.append(el('h2', { id: 'view-heading' }, s.title))
  if (id === 'rules') {
    const people = state.document.people
    personId ??= people[0]?.id
    const label = el('label', { for: 'rules-person' }, 'Rules of person')
    const sel = el('select', { id: 'rules-person' })
    for (const p of people) sel.append(Object.assign(el('option', { value: p.id }, `${p.id} (${String(p.room_code)})`), { selected: p.id === personId }))
    sel.addEventListener('change', () => renderList(view, host, id, sel.value))
    view.append(el('div', { class: 'field' }))
    view.lastElementChild!.append(label, sel)
  }
  if (!state.canEdit) view.append(el('p', { class: 'note' }, `Read only for your role (${state.role.replace('_', ' ')}). AT admins make changes.`))
  else {
    const add = el('button', { type: 'button', 'data-action': 'add' }, `Add a ${s.noun}`)
    add.addEventListener('click', () => renderEditor(view, host, id, null, -1, personId))
    view.append(add)
  }
  const list = entitiesOf(state, id, personId)
  if (list.length === 0) {
    view.append(el('p', {}, `No ${s.title.toLowerCase()} yet.`))
    return
  }
  const wrap = el('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': 'view-heading' })
  const table = el('table', { 'data-section': id })
  const head = el('tr')
  for (const [label] of s.columns) head.append(el('th', { scope: 'col' }, label))
  head.append(el('th', { scope: 'col' }, 'Status'), el('th', { scope: 'col' }, 'Actions'))
  table.append(el('thead'), el('tbody'))
  table.tHead!.append(head)
  list.forEach((e, i) => {
    const key = s.key(e, i)
    const tr = el('tr', { 'data-key': key })
    s.columns.forEach(([, value], n) => tr.append(el(n === 0 ? 'th' : 'td', n === 0 ? { scope: 'row' } : {}, value(e, state.document))))
    const why = id === 'devices' ? state.disabledDevices[String(e.id)] : undefined
    tr.append(el('td', { class: 'status-cell' }, e.disabled ? 'Disabled' : why ? `Out of service: ${why}` : 'In service'))
    const actions = el('td')
    const edit = el('button', { type: 'button', class: 'secondary', 'data-action': 'edit' }, `${state.canEdit ? 'Edit' : 'View'} ${s.noun} ${key}`)
    edit.addEventListener('click', () => renderEditor(view, host, id, e, i, personId))
    actions.append(edit)
    tr.append(actions)
    table.tBodies[0]!.append(tr)
  })
  wrap.append(table)
  view.append(wrap)
}

/** Only the keys a rule of `kind` has (so switching kind drops the old kind's fields). */
function keepKindKeys(rule: Entity, kind: string): Entity {
  const option = ruleSchema.options.find((o) => o.shape.kind.value === kind)
  const keys = new Set(option ? Object.keys(option.shape) : [])
  return Object.fromEntries(Object.entries({ ...rule, kind }).filter(([k]) => keys.has(k)))
}

/** Add (entity null) or edit one entity. */
export function renderEditor(view: HTMLElement, host: EditorHost, id: SectionId, entity: Entity | null, index: number, personId?: string): void {
  const s = sections[id]
  const { state } = host
  const isNew = entity === null
  let current: Entity = entity ? structuredClone(entity) : s.blank(state.context, state.document, personId)
  const key0 = isNew ? null : s.key(entity, index)
  view.replaceChildren()
  const heading = isNew ? `Add a ${s.noun}${personId ? ` for ${personId}` : ''}` : `${state.canEdit ? 'Edit' : 'View'} ${s.noun} ${key0}${personId ? ` of ${personId}` : ''}`
  view.append(el('h2', { id: 'view-heading', tabindex: '-1' }, heading))
  const form = el('form', { novalidate: '', 'aria-labelledby': 'view-heading', 'data-section': id })
  const body = el('fieldset', { class: 'plain' })
  if (!state.canEdit) body.disabled = true
  form.append(body)
  let rendered: RenderedForm
  const draw = () => {
    rendered = renderFields(s.fields(state.context, state.document, current, personId), current, isNew)
    body.replaceChildren(rendered.element)
    if (id === 'rules') {
      const kindSelect = rendered.element.querySelector<HTMLSelectElement>('select[id$="-kind"]')
      kindSelect?.addEventListener('change', () => {
        current = keepKindKeys(rendered.read(), kindSelect.value)
        draw()
        rendered.element.querySelector<HTMLSelectElement>('select[id$="-kind"]')?.focus()
      })
    }
  }
  draw()
  if (state.canEdit) {
    const noteId = 'approval-note'
    const note = el('div', { class: 'field' })
    note.append(el('label', { for: noteId }, 'Approval note (optional)'), Object.assign(el('input', { id: noteId, autocomplete: 'off', 'aria-describedby': `${noteId}-hint` }), {}), el('p', { id: `${noteId}-hint`, class: 'hint' }, 'Why, or the approval reference. Kept with the version and in the audit trail.'))
    form.append(note)
  }
  const buttons = el('div', { class: 'form-buttons' })
  const back = el('button', { type: 'button', class: 'secondary' }, 'Back to the list')
  back.addEventListener('click', () => renderList(view, host, id, personId))
  if (state.canEdit) {
    buttons.append(el('button', { type: 'submit', 'data-action': 'save' }, isNew ? `Add ${s.noun}` : 'Save changes'))
    if (!isNew) {
      const op = entity!.disabled ? 'enable' : 'disable'
      const toggle = el('button', { type: 'button', class: 'secondary', 'data-action': op }, `${op === 'disable' ? 'Disable' : 'Enable'} this ${s.noun}`)
      toggle.addEventListener('click', () => void send('POST', `${urlOf(s, key0!, personId)}/${op}`, undefined))
      buttons.append(toggle)
    }
    if (id === 'rules') {
      const tryIt = el('button', { type: 'button', class: 'secondary', 'data-action': 'replay' }, 'Replay before saving')
      tryIt.addEventListener('click', () => host.replay(personId!, rendered.read()))
      buttons.append(tryIt)
    }
  }
  buttons.append(back)
  form.append(buttons)
  view.append(form)
  ;(view.querySelector('h2') as HTMLElement).focus()

  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const e = rendered.read()
    // The same zod schema the server uses: shape problems never need a round trip.
    const check = s.schema.safeParse(e)
    if (!check.success) return fail(check.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message })))
    void send('PUT', urlOf(s, isNew ? s.key(e, entitiesOf(state, id, personId).length) : key0!, personId), e)
  })

  function fail(issues: FieldIssue[]): void {
    rendered.showIssues(issues)
    announce(`Not saved: ${issues.length === 1 ? 'one problem' : `${issues.length} problems`} to correct.`, false)
  }

  async function send(method: 'PUT' | 'POST', url: string, e: Entity | undefined): Promise<void> {
    rendered.clearIssues()
    const note = (document.getElementById('approval-note') as HTMLInputElement | null)?.value.trim()
    try {
      const r = await api(method, url, { ...(e ? { entity: e } : {}), ...(note ? { note } : {}), base_version: state.version, source: 'ui' })
      await host.reload()
      announce(r.changed ? `Saved as version ${r.version}.` : 'Nothing changed; nothing saved.')
      if (r.device_secret) showSecret(view, String(e?.id ?? key0), r.device_secret, () => renderList(view, host, id, personId))
      else renderList(view, host, id, personId)
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      if (err.issues.length) return fail(err.issues)
      if (err.status === 409) return staleNotice(form, err.message, host)
      fail([{ path: [], message: err.message }])
    }
  }
}

function staleNotice(form: HTMLElement, message: string, host: EditorHost): void {
  const box = el('div', { class: 'issue-summary', role: 'alert' })
  const reload = el('button', { type: 'button' }, 'Reload the configuration')
  reload.addEventListener('click', () => void host.reload())
  box.append(el('p', {}, `Not saved: ${message}`), reload)
  form.prepend(box)
  announce('Not saved: someone else changed the configuration.', false)
  reload.focus()
}

/** A new device's MQTT secret, shown once. */
function showSecret(view: HTMLElement, deviceId: string, secret: string, done: () => void): void {
  view.replaceChildren()
  view.append(el('h2', { id: 'view-heading', tabindex: '-1' }, `Secret for device ${deviceId}`))
  view.append(el('p', {}, 'Shown only now. Enter it in the device (its MQTT password); the gateway keeps only a hash. If it is lost, issue a new one.'))
  view.append(el('p', { class: 'secret', 'data-secret': '' }, secret))
  const back = el('button', { type: 'button' }, 'Done: back to devices')
  back.addEventListener('click', done)
  view.append(back)
  ;(view.querySelector('h2') as HTMLElement).focus()
}
