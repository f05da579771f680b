// Rule replay: a person, proposed rules and a date range → what the current and the proposed rules would have
// raised over the recorded events, side by side, before anything is saved (POST /api/replay).
import { el } from './admin-form.js'
import type { Entity } from './admin-sections.js'
import { type AdminState, announce } from './admin-state.js'
import { api, ApiError } from './session.js'

interface Comparison { person_id: string; rule_id: string; current_version: string | null; proposed_version: string | null; current_alerts: number; proposed_alerts: number; only_current: { at: string; reason: string }[]; only_proposed: { at: string; reason: string }[] }

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)

/** The replay screen; `proposal` (a person and one changed rule) comes from the rule editor. */
export function renderReplay(view: HTMLElement, state: AdminState, proposal?: { personId: string; rule: Entity }, save?: (personId: string, rule: Entity) => Promise<void>): void {
  view.replaceChildren()
  view.append(el('h2', { id: 'view-heading', tabindex: '-1' }, 'Rule replay'))
  view.append(el('p', {}, 'Runs the current and the proposed rules over the recorded events of the chosen days, from a fresh start on the first day, and shows what each would have raised. Nothing is saved here.'))
  const people = state.document.people
  const personId = proposal?.personId ?? people[0]?.id ?? ''
  const rulesOf = (id: string, changed?: Entity) => {
    const rules = people.find((p) => p.id === id)?.rules ?? []
    if (!changed) return rules
    const i = rules.findIndex((r) => r.id === changed.id)
    return i >= 0 ? rules.map((r, n) => (n === i ? changed : r)) : [...rules, changed]
  }
  const form = el('form', { novalidate: '', 'aria-labelledby': 'view-heading' })
  const field = (label: string, control: HTMLElement, hint?: string) => {
    const d = el('div', { class: 'field' })
    d.append(el('label', { for: control.id }, label), control)
    if (hint) {
      d.append(el('p', { id: `${control.id}-hint`, class: 'hint' }, hint))
      control.setAttribute('aria-describedby', `${control.id}-hint ${control.id}-error`)
    } else control.setAttribute('aria-describedby', `${control.id}-error`)
    d.append(el('p', { id: `${control.id}-error`, class: 'field-error' }))
    return d
  }
  const person = el('select', { id: 'replay-person' })
  for (const p of people) person.append(Object.assign(el('option', { value: p.id }, `${p.id} (${String(p.room_code)})`), { selected: p.id === personId }))
  const rules = el('textarea', { id: 'replay-rules', rows: '10', spellcheck: 'false' })
  rules.value = JSON.stringify(rulesOf(personId, proposal?.rule), null, 2)
  person.addEventListener('change', () => (rules.value = JSON.stringify(rulesOf(person.value), null, 2)))
  const from = el('input', { id: 'replay-from', type: 'date' })
  const to = el('input', { id: 'replay-to', type: 'date' })
  from.value = day(-7)
  to.value = day(1)
  form.append(field('Person', person), field("Proposed rules (JSON, the person's whole rule list)", rules, 'Edit a rule here, or use "Replay before saving" in the rule editor.'), field('From (date)', from), field('To (date)', to, 'At most 31 days.'))
  const run = el('button', { type: 'submit', 'data-action': 'run-replay' }, 'Run replay')
  form.append(run)
  const result = el('section', { id: 'replay-result', 'aria-labelledby': 'replay-result-heading' })
  view.append(form, result)

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    for (const e of form.querySelectorAll('.field-error')) e.textContent = ''
    for (const e of form.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid')
    let proposed: unknown
    try {
      proposed = JSON.parse(rules.value)
      if (!Array.isArray(proposed)) throw new Error('it must be a list of rules: [ {...}, ... ]')
    } catch (err) {
      return invalid(rules, `Not valid: ${(err as Error).message}`)
    }
    if (!from.value) return invalid(from, 'Choose the first day.')
    if (!to.value || to.value < from.value) return invalid(to, 'Choose a last day on or after the first.')
    run.setAttribute('aria-disabled', 'true')
    announce('Replaying…')
    try {
      const report = await api('POST', '/api/replay', { rules: { people: [{ id: person.value, rules: proposed }] }, from: from.value, to: to.value, person: person.value })
      showReport(result, report)
      announce(`Replay done: current rules ${report.totals.current_alerts} alerts, proposed ${report.totals.proposed_alerts}.`)
      const changed = proposal && (proposed as Entity[]).find((r) => r.id === proposal.rule.id)
      if (save && changed && person.value === proposal.personId) {
        const b = el('button', { type: 'button', 'data-action': 'save-proposed' }, `Save rule ${String(changed.id)} as proposed`)
        b.addEventListener('click', () => void save(proposal.personId, changed))
        result.append(b)
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      invalid(rules, err.message)
    } finally {
      run.removeAttribute('aria-disabled')
    }
  })
  ;(view.querySelector('h2') as HTMLElement).focus()
}

function invalid(control: HTMLElement, message: string): void {
  document.getElementById(`${control.id}-error`)!.textContent = message
  control.setAttribute('aria-invalid', 'true')
  control.focus()
  announce(`Replay not run: ${message}`, false)
}

function showReport(result: HTMLElement, report: { from: string; to: string; events_replayed: number; totals: { current_alerts: number; proposed_alerts: number }; rules: Comparison[]; note: string }): void {
  result.replaceChildren()
  result.append(el('h3', { id: 'replay-result-heading' }, `Replayed ${report.events_replayed} events, ${report.from.slice(0, 10)} to ${report.to.slice(0, 10)}`))
  const wrap = el('div', { class: 'side-by-side' })
  const column = (title: string, total: number, pick: (c: Comparison) => { n: number; only: { at: string; reason: string }[] }, which: string) => {
    const col = el('section', { class: 'replay-column', 'data-side': which, 'aria-label': title })
    col.append(el('h4', {}, `${title}: ${total} ${total === 1 ? 'alert' : 'alerts'}`))
    for (const c of report.rules) {
      const { n, only } = pick(c)
      col.append(el('p', { class: 'rule-line' }, `${c.rule_id}: ${n} ${n === 1 ? 'alert' : 'alerts'}${only.length ? `, ${only.length} not raised by the other side` : ''}`))
      if (only.length) {
        const ul = el('ul')
        for (const o of only) ul.append(el('li', {}, `${new Date(o.at).toLocaleString('en-GB')}: ${o.reason}`))
        col.append(ul)
      }
    }
    return col
  }
  wrap.append(
    column('Current rules', report.totals.current_alerts, (c) => ({ n: c.current_alerts, only: c.only_current }), 'current'),
    column('Proposed rules', report.totals.proposed_alerts, (c) => ({ n: c.proposed_alerts, only: c.only_proposed }), 'proposed'),
  )
  result.append(wrap, el('p', { class: 'hint' }, report.note))
}
