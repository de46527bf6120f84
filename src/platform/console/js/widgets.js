// Pieces the pages share: tables, a pager, notices and two-step buttons.

import { h, fill } from './dom.js';
import { _, format, formatNumber } from './i18n.js';

// A table of @rows: each column is {title, cell: (row) => text or node, class?}.
export function table(columns, rows, { id, empty, rowClass } = {}) {
  return h('table', { class: 'data', id },
    h('thead', null, h('tr', null, columns.map((column) =>
      h('th', { class: column.class }, column.title)))),
    h('tbody', null, rows.length === 0
      ? h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty ?? _('Nothing here')))
      : rows.map((row) => h('tr', { class: rowClass?.(row) }, columns.map((column) =>
        h('td', { class: column.class }, column.cell(row)))))));
}

// "1–100 of 12,500" with previous and next; @go(offset) shows another page.
export function pager(offset, limit, total, go) {
  const last = Math.min(offset + limit, total);
  return h('div', { class: 'pager' },
    h('button', { class: 'previous', disabled: offset === 0, onclick: () => go(Math.max(0, offset - limit)) },
      _('Previous')),
    h('span', { class: 'range' }, total === 0 ? _('No matches')
      : format(_('{first}–{last} of {total}'),
               { first: formatNumber(offset + 1), last: formatNumber(last), total: formatNumber(total) })),
    h('button', { class: 'next', disabled: last >= total, onclick: () => go(offset + limit) },
      _('Next')));
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
  }[state] ?? state;
}
