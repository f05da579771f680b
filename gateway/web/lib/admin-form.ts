// A small form helper for the configuration screens: renders labelled fields from a field list, reads them
// back into an entity (keeping keys the form does not show), and puts validation issues next to their field
// (aria-invalid + aria-describedby), the same way for the browser's zod check and the server's answer.

/** A path into an entity, as zod and the server report it. */
export type Path = readonly (string | number)[]
export interface FieldIssue { readonly path: Path; readonly message: string }

export type FieldKind = 'text' | 'number' | 'select' | 'checks' | 'list' | 'time' | 'rows' | 'textarea'

/** One form field. `path` is dotted (`rate_limit.rearm_s`); rows fields hold an array of objects. */
export interface Field {
  readonly path: string
  readonly label: string
  readonly kind: FieldKind
  readonly hint?: string
  readonly required?: boolean
  /** For select and checks: value and label. An empty value in a select means "leave out". */
  readonly options?: readonly (readonly [value: string, label: string])[]
  /** Suggestions for a text field (datalist). */
  readonly suggestions?: readonly string[]
  /** Read-only once the entity exists (ids). */
  readonly fixedOnEdit?: boolean
  /** For rows: the fields of one row (paths relative to the row). */
  readonly columns?: readonly Field[]
}

let uid = 0
const idFor = (path: string) => `f${++uid}-${path.replace(/[^a-zA-Z0-9_-]/g, '-')}`

/** The value at a dotted path. */
export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj)
}

/** Set (or, for undefined, delete) the value at a dotted path, creating objects on the way; empty parents are removed. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.')
  const last = keys.pop()!
  let o: Record<string, unknown> = obj
  const chain: [Record<string, unknown>, string][] = []
  for (const k of keys) {
    if (!o[k] || typeof o[k] !== 'object') {
      if (value === undefined) return
      o[k] = {}
    }
    chain.push([o, k])
    o = o[k] as Record<string, unknown>
  }
  if (value === undefined) delete o[last]
  else o[last] = value
  for (const [parent, k] of chain.reverse()) if (Object.keys(parent[k] as object).length === 0) delete parent[k]
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  if (text !== undefined) e.textContent = text
  return e
}
export { el }

/** A rendered form: read values back, show issues, clear them. */
export interface RenderedForm {
  readonly element: HTMLElement
  /** The entity: the original with the form's fields written over it. */
  read(): Record<string, unknown>
  /** Put each issue next to its field; issues no field claims go to the summary at the top. Returns how many were shown. */
  showIssues(issues: readonly FieldIssue[]): number
  clearIssues(): void
}

interface Control { readonly field: Field; readonly input: HTMLElement; readonly error: HTMLElement; read(): unknown }

/** Render `fields` for `value`; `isNew` unlocks fields fixed on edit. */
export function renderFields(fields: readonly Field[], value: Record<string, unknown>, isNew: boolean): RenderedForm {
  const root = el('div', { class: 'fields' })
  const summary = el('div', { class: 'issue-summary', role: 'alert', tabindex: '-1' })
  root.append(summary)
  const controls = new Map<string, Control>()
  const rowsControls: { path: string; count(): number; controls: Map<string, Control> }[] = []
  for (const f of fields) {
    if (f.kind === 'rows') root.append(renderRows(f, (getPath(value, f.path) as Record<string, unknown>[] | undefined) ?? [], controls, rowsControls))
    else root.append(renderOne(f, getPath(value, f.path), f.path, controls, !isNew && f.fixedOnEdit === true))
  }
  const clear = () => {
    summary.replaceChildren()
    for (const c of controls.values()) {
      c.error.textContent = ''
      c.input.removeAttribute('aria-invalid')
    }
  }
  return {
    element: root,
    read() {
      const out = structuredClone(value)
      for (const f of fields) {
        if (f.kind === 'rows') {
          const r = rowsControls.find((x) => x.path === f.path)!
          const rows: Record<string, unknown>[] = []
          for (let i = 0; i < r.count(); i++) {
            const row: Record<string, unknown> = {}
            for (const col of f.columns ?? []) {
              const v = r.controls.get(`${f.path}.${i}.${col.path}`)?.read()
              if (v !== undefined) setPath(row, col.path, v)
            }
            rows.push(row)
          }
          setPath(out, f.path, rows.length ? rows : undefined)
        } else setPath(out, f.path, controls.get(f.path)!.read())
      }
      return out
    },
    showIssues(issues) {
      clear()
      const loose: string[] = []
      let first: HTMLElement | null = null
      for (const issue of issues) {
        // The deepest field that contains the issue's path (a whole-row issue lands on the row's first field).
        let c: Control | undefined
        for (let n = issue.path.length; n > 0 && !c; n--) c = controls.get(issue.path.slice(0, n).join('.'))
        if (!c) {
          loose.push(issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)
          continue
        }
        c.error.textContent = c.error.textContent ? `${c.error.textContent} ${issue.message}` : issue.message
        c.input.setAttribute('aria-invalid', 'true')
        first ??= c.input
      }
      if (loose.length) {
        summary.append(el('p', {}, loose.length === 1 ? 'This change cannot be saved:' : 'This change cannot be saved, for these reasons:'))
        const ul = el('ul')
        for (const m of loose) ul.append(el('li', {}, m))
        summary.append(ul)
        summary.focus()
      } else first?.focus()
      return issues.length
    },
    clearIssues: clear,
  }
}

function renderOne(f: Field, v: unknown, path: string, controls: Map<string, Control>, locked: boolean): HTMLElement {
  const id = idFor(path)
  const wrap = el('div', { class: `field field-${f.kind}` })
  const error = el('p', { id: `${id}-error`, class: 'field-error' })
  const describedBy = [f.hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ')
  const hint = f.hint ? el('p', { id: `${id}-hint`, class: 'hint' }, f.hint) : null
  let input: HTMLElement
  let read: () => unknown
  if (f.kind === 'checks') {
    const fs = el('fieldset', { id, 'aria-describedby': describedBy })
    fs.append(el('legend', {}, f.label))
    const chosen = new Set(Array.isArray(v) ? (v as string[]) : [])
    const boxes = (f.options ?? []).map(([value, label]) => {
      const bid = `${id}-${value}`
      const box = el('input', { type: 'checkbox', id: bid, value })
      box.checked = chosen.has(value)
      const l = el('label', { for: bid, class: 'check' })
      l.append(box, ` ${label}`)
      fs.append(l)
      return box
    })
    if (hint) fs.append(hint)
    fs.append(error)
    wrap.append(fs)
    input = fs
    read = () => {
      const list = boxes.filter((b) => b.checked).map((b) => b.value)
      return list.length ? list : undefined
    }
  } else {
    const label = el('label', { for: id }, f.required ? `${f.label} (required)` : f.label)
    if (f.kind === 'select') {
      const sel = el('select', { id, 'aria-describedby': describedBy })
      for (const [value, text] of f.options ?? []) {
        const o = el('option', { value }, text)
        if (String(v ?? '') === value) o.selected = true
        sel.append(o)
      }
      input = sel
      read = () => (sel.value === '' ? undefined : sel.value)
    } else if (f.kind === 'textarea') {
      const ta = el('textarea', { id, 'aria-describedby': describedBy, rows: '3' })
      ta.value = v === undefined ? '' : String(v)
      input = ta
      read = () => (ta.value.trim() === '' ? undefined : ta.value.trim())
    } else {
      const type = f.kind === 'number' ? 'text' : f.kind === 'time' ? 'text' : 'text'
      const inp = el('input', { id, type, 'aria-describedby': describedBy, autocomplete: 'off', spellcheck: 'false' })
      if (f.kind === 'number') inp.setAttribute('inputmode', 'numeric')
      if (f.kind === 'time') inp.setAttribute('placeholder', 'HH:MM')
      if (f.suggestions?.length) {
        const dl = el('datalist', { id: `${id}-list` })
        for (const s of f.suggestions) dl.append(el('option', { value: s }))
        inp.setAttribute('list', `${id}-list`)
        wrap.append(dl)
      }
      inp.value = v === undefined || v === null ? '' : Array.isArray(v) ? v.join(', ') : String(v)
      if (locked) inp.readOnly = true
      input = inp
      read = () => {
        const t = inp.value.trim()
        if (t === '') return undefined
        // A number field keeps text that is not a number, so the schema names the problem next to it.
        if (f.kind === 'number') return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t
        if (f.kind === 'list') return t.split(',').map((s) => s.trim()).filter(Boolean)
        return t
      }
    }
    wrap.prepend(label)
    wrap.append(input)
    if (hint) wrap.append(hint)
    wrap.append(error)
  }
  controls.set(path, { field: f, input, error, read })
  return wrap
}

function renderRows(f: Field, rows: Record<string, unknown>[], controls: Map<string, Control>, registry: { path: string; count(): number; controls: Map<string, Control> }[]): HTMLElement {
  const fs = el('fieldset', { class: 'rows' })
  fs.append(el('legend', {}, f.label))
  if (f.hint) fs.append(el('p', { class: 'hint' }, f.hint))
  const list = el('ol', { class: 'row-list' })
  const own = new Map<string, Control>()
  // The fieldset itself takes issues about the whole list (e.g. "at least one step").
  const listError = el('p', { class: 'field-error', id: idFor(`${f.path}-list-error`) })
  fs.setAttribute('aria-describedby', listError.id)
  let count = 0
  const addRow = (row: Record<string, unknown>) => {
    const i = count++
    const li = el('li', { class: 'row' })
    for (const col of f.columns ?? []) {
      const path = `${f.path}.${i}.${col.path}`
      const c = renderOne({ ...col, label: `${col.label} (${f.label.toLowerCase()} ${i + 1})` }, getPath(row, col.path), path, controls, false)
      own.set(path, controls.get(path)!)
      li.append(c)
    }
    list.append(li)
  }
  rows.forEach(addRow)
  const add = el('button', { type: 'button', class: 'secondary' }, `Add ${f.label.toLowerCase().replace(/s$/, '')}`)
  const remove = el('button', { type: 'button', class: 'secondary' }, 'Remove the last one')
  add.addEventListener('click', () => {
    addRow({})
    ;(list.lastElementChild?.querySelector('input, select') as HTMLElement | null)?.focus()
  })
  remove.addEventListener('click', () => {
    if (count === 0) return
    count--
    for (const k of [...own.keys()]) if (k.startsWith(`${f.path}.${count}.`)) { own.delete(k); controls.delete(k) }
    list.lastElementChild?.remove()
    add.focus()
  })
  controls.set(f.path, { field: f, input: fs, error: listError, read: () => undefined })
  fs.append(list, listError, el('div', { class: 'row-buttons' }))
  fs.lastElementChild!.append(add, remove)
  registry.push({ path: f.path, count: () => count, controls: own })
  return fs
}
