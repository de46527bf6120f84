// Terminals: the ledger filtered by vendor, model, version (equal, below, at least — in version
// order), link, online state and area, a page at a time from the server; a map of the page; the
// operator selects terminals in the table or on the map for a dispatch.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, format, formatNumber } from '../i18n.js';
import { terminalMap } from '../map.js';
import * as selection from '../selection.js';
import { field, heading, pager, select, stateName, table } from '../widgets.js';

const PAGE_SIZE = 100;
const FILTERS = ['vendor', 'model', 'version', 'compare', 'link', 'online', 'area'];

// The API's query for the filters in the address.
function apiQuery(query, offset) {
  const version = query.get('version') ?? '';
  const compare = query.get('compare') ?? 'equal';
  return {
    vendor: query.get('vendor'), model: query.get('model'),
    version: compare === 'equal' ? version : '',
    below: compare === 'below' ? version : '',
    at_least: compare === 'at_least' ? version : '',
    link: query.get('link'), online: query.get('online'), area: query.get('area'),
    offset, limit: PAGE_SIZE,
  };
}

function filterForm(query) {
  const input = (name) => h('input', { id: 'filter-' + name, name, value: query.get(name) ?? '' });
  const form = h('form', {
    class: 'filters', id: 'filters',
    onsubmit: (event) => {
      event.preventDefault();
      const values = {};
      for (const name of FILTERS)
        values[name] = form.elements[name].value.trim();
      if (values.compare === 'equal')
        values.compare = '';
      location.hash = route(['terminals'], values);
    },
  },
  field(_('Vendor'), input('vendor')),
  field(_('Model'), input('model')),
  field(_('Version'), h('span', { class: 'version-filter' },
    select('compare', [['equal', _('equal to')], ['below', _('below')], ['at_least', _('at least')]],
           query.get('compare') ?? 'equal', { 'aria-label': _('Version comparison') }),
    input('version'))),
  field(_('Link'), input('link')),
  field(_('State'), select('online', [['', _('any')], ['true', _('online')], ['false', _('offline')]],
                           query.get('online') ?? '', { id: 'filter-online' })),
  field(_('Area'), input('area')),
  h('button', { type: 'submit', class: 'primary', id: 'filter-apply' }, _('Show')));
  return form;
}

export async function render(content, parts, query, context) {
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const result = h('section', { class: 'card results' }, h('p', { class: 'loading' }, _('Loading…')));
  const mapElement = h('div', { class: 'map', id: 'terminal-map' });
  const chosen = h('span', { id: 'selected-count' });
  const showChosen = () => fill(chosen, format(_('{count} selected'), { count: formatNumber(selection.size()) }));
  showChosen();
  fill(content,
    heading(_('Terminals'),
      chosen,
      h('button', { id: 'selection-clear', onclick: () => selection.clear() }, _('Clear selection')),
      context.canChange ? h('a', { class: 'button primary', href: '#/dispatch', id: 'to-dispatch' },
                            _('Dispatch the selection')) : null),
    filterForm(query),
    h('div', { class: 'split' }, result, h('section', { class: 'card map-card' }, mapElement)));

  const map = terminalMap(mapElement, { onClick: (terminal) => selection.toggle(terminal) });
  const answer = await api.get('terminals', apiQuery(query, offset));
  if (!context.current())
    return;
  const rows = answer.terminals;
  const boxes = new Map();
  const box = (terminal) => {
    const element = h('input', {
      type: 'checkbox', class: 'select', checked: selection.has(terminal.device_id),
      'aria-label': format(_('Select {id}'), { id: terminal.device_id }),
      dataset: { device: terminal.device_id },
      onchange: (event) => selection.toggle(terminal, event.target.checked),
    });
    boxes.set(terminal.device_id, element);
    return element;
  };
  const pageBox = h('input', {
    type: 'checkbox', id: 'select-page', 'aria-label': _('Select every terminal on this page'),
    onchange: (event) => selection.setMany(rows, event.target.checked),
  });
  const go = (next) => {
    const values = Object.fromEntries(FILTERS.map((name) => [name, query.get(name)]));
    location.hash = route(['terminals'], { ...values, offset: next || '' });
  };
  fill(result,
    h('div', { class: 'result-head' },
      h('label', { class: 'check' }, pageBox, _('Select this page')),
      h('span', { id: 'match-count' }, format(_('{count} terminals match'), { count: formatNumber(answer.total) }))),
    table([
      { title: '', class: 'check', cell: box },
      { title: _('Device ID'), cell: (t) => h('a', { href: route(['terminal', t.device_id]) }, t.device_id) },
      { title: _('Name'), cell: (t) => t.name },
      { title: _('Vendor'), cell: (t) => t.vendor },
      { title: _('Model'), cell: (t) => t.model },
      { title: _('Version'), cell: (t) => t.software_version },
      { title: _('Link'), cell: (t) => t.link ?? '' },
      { title: _('State'), cell: (t) => (t.online === undefined || t.online === null ? ''
                                          : stateName(t.online ? 'online' : 'offline')) },
      { title: _('Area'), cell: (t) => t.area ?? '' },
    ], rows, { id: 'terminal-table', empty: _('No terminal matches') }),
    pager(offset, PAGE_SIZE, answer.total, go));
  map.resize();
  map.show(rows, { selected: (t) => selection.has(t.device_id) });
  const refresh = () => {
    showChosen();
    for (const [device, element] of boxes)
      element.checked = selection.has(device);
    pageBox.checked = rows.length > 0 && rows.every((t) => selection.has(t.device_id));
    map.recolour((t) => selection.has(t.device_id));
  };
  selection.watch(refresh);
  refresh();
}
