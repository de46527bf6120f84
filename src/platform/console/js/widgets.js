// Pieces the pages share: tables, a pager, notices and two-step buttons.

import * as api from './api.js';
import { h, fill, route } from './dom.js';
import { _, format, formatNumber, formatTime } from './i18n.js';

// A run of more characters without a space than a column should be wide for (a name of 128 bytes
// without spaces): such a cell may break anywhere (td.long). Shorter words — IDs, phone numbers,
// dates, versions — stay whole.
const LONG_RUN = /\S{25,}/u;

function cellClass(column, content) {
  const long = typeof content === 'string' && LONG_RUN.test(content);
  return [column.class, long ? 'long' : null].filter(Boolean).join(' ') || undefined;
}

// A table of @rows: each column is {title, cell: (row) => text or node, class?}.
export function table(columns, rows, { id, empty, rowClass } = {}) {
  return h('table', { class: 'data', id },
    h('thead', null, h('tr', null, columns.map((column) =>
      h('th', { class: column.class }, column.title)))),
    h('tbody', null, rows.length === 0
      ? h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty ?? _('Nothing here')))
      : rows.map((row) => h('tr', { class: rowClass?.(row) }, columns.map((column) => {
        const content = column.cell(row);
        return h('td', { class: cellClass(column, content) }, content);
      })))));
}

// Previous, "101–200 of 12,500" (or "101–200" when @total is not known) and next, for the API's
// pages that continue after a key: @first is the number of the page's first row, @next() goes
// to the next page (null: this is the last). The previous page is the one the browser came from.
export function pager(first, count, total, next) {
  const last = first + count - 1;
  const numbers = { first: formatNumber(first), last: formatNumber(last), total: formatNumber(total ?? 0) };
  return h('div', { class: 'pager' },
    h('button', { class: 'previous', disabled: first <= 1, onclick: () => history.back() }, _('Previous')),
    h('span', { class: 'range' }, count === 0 ? _('No matches')
      : total === undefined ? format(_('{first}–{last}'), numbers) : format(_('{first}–{last} of {total}'), numbers)),
    h('button', { class: 'next', id: 'next-page', disabled: !next, onclick: next }, _('Next')));
}

// The number of the first row of the page the address names (?from=N).
export function pageStart(query) {
  return Math.max(1, Number.parseInt(query.get('from') ?? '1', 10) || 1);
}

// An area for what an action did or why it failed.
export function notice() {
  const element = h('p', { class: 'notice', role: 'status' });
  element.ok = (text) => {
    element.className = 'notice ok';
    fill(element, text);
  };
  element.error = (text) => {
    element.className = 'notice error';
    fill(element, text);
  };
  element.clear = () => {
    element.className = 'notice';
    fill(element);
  };
  return element;
}

let refreshTimer = null;        // the shown page's next look (one page is shown at a time)

// While @active, runs @reload (the page drawn again from the API) in @seconds if the page is
// still shown (@context.current()); a page no longer @active drops the look it had planned. A
// look that fails (serve restarting, the network gone for a while) says so in @report and tries
// again at the same pace, so the page follows once the platform answers again: a page that
// stopped at its first failure showed a state long gone, with its buttons, and no sign of it. A
// session the platform no longer knows shows the login page instead (api.js).
export function keepRefreshed(active, context, seconds, reload, report) {
  clearTimeout(refreshTimer);
  if (!active)
    return;
  refreshTimer = setTimeout(async () => {
    if (!context.current())
      return;
    try {
      await reload();
    } catch (failure) {
      if (!context.current() || failure.status === 401)
        return;
      report.error(format(_('{error}; this page tries again every {seconds} seconds.'),
                          { error: failure.message, seconds: formatNumber(seconds) }));
      keepRefreshed(true, context, seconds, reload, report);
    }
  }, seconds * 1000);
}

// A button that asks once more before it runs @action (an async function); @report shows the
// outcome.
export function confirmButton(label, confirmLabel, action, { id, report, danger } = {}) {
  let armed = false;
  const button = h('button', {
    id, class: danger ? 'danger' : null,
    onclick: async () => {
      if (!armed) {
        armed = true;
        fill(button, confirmLabel);
        return;
      }
      button.disabled = true;
      try {
        await action();
      } catch (failure) {
        report?.error(failure.message);
        button.disabled = false;
        armed = false;
        fill(button, label);
      }
    },
  }, label);
  return button;
}

// Runs @change (an async function that asks the platform for a change), then @reload() to show
// what it changed. When another operator changed the same thing first (409), @reload(why) shows
// it as it is now, with the buttons that fit, and why this change was refused; any other failure
// goes to the caller.
export async function changeThenReload(change, reload) {
  try {
    await change();
  } catch (failure) {
    if (failure.status !== 409)
      throw failure;
    await reload(failure.message);
    return;
  }
  await reload();
}

// Runs @action for a form's submit button: disabled while it runs, the error shown in @report.
export async function busy(button, report, action) {
  button.disabled = true;
  report.clear();
  try {
    await action();
  } catch (failure) {
    report.error(failure.message);
  } finally {
    button.disabled = false;
  }
}

export function field(label, input) {
  return h('label', { class: 'field' }, h('span', null, label), input);
}

export function select(id, options, chosen, props) {
  return h('select', { id, name: id, ...props },
    options.map(([value, text]) => h('option', { value, selected: value === chosen }, text)));
}

export function heading(title, ...actions) {
  return h('div', { class: 'heading' }, h('h1', null, title), h('div', { class: 'actions' }, actions));
}

// Reports with their task, outcome, when they came and a link to their PDF.
export function reportTable(reports, id) {
  return table([
    { title: _('Report'), cell: (r) => r.report_id },
    { title: _('Device ID'), cell: (r) => h('a', { href: route(['terminal', r.device_id]) }, r.device_id) },
    { title: _('Task'), cell: (r) => h('a', { href: route(['tasks', r.task_id]) }, r.task_id) },
    { title: _('Tablet'), cell: (r) => r.tablet_serial },
    { title: _('Outcome'), cell: (r) => outcomeName(r.outcome) },
    { title: _('Received'), cell: (r) => formatTime(r.received_at) },
    { title: _('PDF'), cell: (r) => h('a', {
      href: api.url('reports/' + encodeURIComponent(r.report_id) + '/pdf'), target: '_blank', rel: 'noopener',
    }, _('PDF')) },
  ], reports, { id, empty: _('No report yet') });
}

export function roleName(role) {
  return { admin: _('Administrator'), operator: _('Operator'), auditor: _('Auditor') }[role] ?? role;
}

// A report's outcome in words (the values of formats.md).
export function outcomeName(outcome) {
  return {
    upgraded: _('upgraded'),
    'already-current': _('already current'),
    'rolled-back': _('rolled back'),
    failed: _('failed'),
    aborted: _('aborted'),
    'identity-mismatch': _('identity mismatch'),
  }[outcome] ?? outcome;
}

export function stateName(state) {
  return {
    available: _('available'),
    withdrawn: _('withdrawn'),
    'in-stock': _('in stock'),
    'checked-out': _('checked out'),
    retired: _('retired'),
    open: _('open'),
    complete: _('complete'),
    closed: _('closed'),
    online: _('online'),
    offline: _('offline'),
    // campaigns and their terminals
    draft: _('draft'),
    running: _('running'),
    paused: _('paused'),
    cancelled: _('cancelled'),
    pending: _('pending'),
    sent: _('sent'),
    downloading: _('downloading'),
    installing: _('installing'),
    succeeded: _('succeeded'),
    failed: _('failed'),
    'rolled-back': _('rolled back'),
    'left-out': _('left out'),
  }[state] ?? state;
}
