// Terminals: the ledger filtered by vendor, model, version (equal, below, at least — in version
// order), profile, link and area, a page at a time from the server; a map of the whole selection; the
// operator selects terminals in the table or on the map for a dispatch.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, format, formatNumber } from '../i18n.js';
import { terminalMap } from '../map.js';
import * as selection from '../selection.js';
import { field, heading, pageStart, pager, select, table } from '../widgets.js';

const PAGE_SIZE = 100;
const FILTERS = ['vendor', 'model', 'compare', 'version', 'profile', 'link', 'area'];

// The API's filter for the one in the address.
function apiFilter(query) {
  const version = query.get('version') ?? '';
  const compare = query.get('compare') ?? 'equal';
  return {
    vendor: query.get('vendor'), model: query.get('model'), profile: query.get('profile'),
    link: query.get('link'),
    area: query.get('area'),
    version: compare === 'equal' ? version : '',
    below: compare === 'below' ? version : '',
    at_least: compare === 'at_least' ? version : '',
  };
}

function filterValues(query) {
  return Object.fromEntries(FILTERS.map((name) => [name, query.get(name)]));
}

function filterForm(query, map) {
  const input = (name, props) => h('input', { id: 'filter-' + name, name, value: query.get(name) ?? '', ...props });
  const area = input('area', { placeholder: _('south,west,north,east'), size: 28 });
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
    input('version', { size: 8 }))),
  field(_('Profile'), input('profile')),
  field(_('Link'), select('link', [['', _('any')], ['offline', _('offline (tablet)')], ['mqtt', _('MQTT')]],
                          query.get('link') ?? '', { id: 'filter-link' })),
  field(_('Area'), h('span', { class: 'version-filter' }, area,
    h('button', {
      type: 'button', id: 'filter-map-area', title: _('The area the map shows now'),
      onclick: () => {
        area.value = map.area();
      },
    }, _('Map view')))),
  h('button', { type: 'submit', class: 'primary', id: 'filter-apply' }, _('Show')));
  return form;
}

// A point of the map as the selection keeps it.
function pointTerminal([device_id, latitude, longitude, software_version]) {
  return { device_id, latitude, longitude, software_version };
}

export async function render(content, parts, query, context) {
  const result = h('section', { class: 'card results' }, h('p', { class: 'loading' }, _('Loading…')));
  const mapElement = h('div', { class: 'map', id: 'terminal-map' });
  const mapNote = h('p', { class: 'hint', id: 'map-note' });
  const chosen = h('span', { id: 'selected-count' });
  const showChosen = () => fill(chosen, format(_('{count} selected'), { count: formatNumber(selection.size()) }));
  showChosen();
  const map = terminalMap(mapElement, { onClick: (terminal) => selection.toggle(terminal) });
  fill(content,
    heading(_('Terminals'),
      chosen,
      h('button', { id: 'selection-clear', onclick: () => selection.clear() }, _('Clear selection')),
      context.canChange ? h('a', { class: 'button primary', href: '#/dispatch', id: 'to-dispatch' },
                            _('Dispatch the selection')) : null,
      context.canChange ? h('a', {
        class: 'button', id: 'to-campaign',
        href: route(['campaigns', 'new'], { vendor: query.get('vendor'), model: query.get('model'),
                                            compare: query.get('compare'), version: query.get('version') }),
      }, _('Campaign…')) : null),
    filterForm(query, map),
    h('div', { class: 'split' }, result, h('section', { class: 'card map-card' }, mapElement, mapNote)));

  const filter = apiFilter(query);
  const after = query.get('after');
  const first = pageStart(query);
  // The map's points come apart from the page, and later for a large selection: the table is shown
  // as soon as its page is here.
  const pointsAnswer = api.get('terminals/points', filter);
  pointsAnswer.catch(() => {});   // its failure is shown when it is awaited, below
  const answer = await api.get('terminals', { ...filter, after, limit: PAGE_SIZE });
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
  fill(result,
    h('div', { class: 'result-head' },
      h('label', { class: 'check' }, pageBox, _('Select this page')),
      h('span', { id: 'match-count' }, format(_('{count} terminals match'), { count: formatNumber(answer.total) }))),
    table([
      { title: '', class: 'check', cell: box },
      { title: _('Device ID'), cell: (t) => h('a', { href: route(['terminal', t.device_id]) }, t.device_id) },
      { title: _('Site name'), cell: (t) => t.name },
      { title: _('Vendor'), cell: (t) => t.vendor },
      { title: _('Model'), cell: (t) => t.model },
      { title: _('Version'), cell: (t) => t.software_version },
      { title: _('Hardware'), cell: (t) => t.hardware_version },
      { title: _('Profile'), cell: (t) => t.profile },
    ], rows, { id: 'terminal-table', empty: _('No terminal matches') }),
    pager(first, rows.length, answer.total, answer.next_after && (() => {
      location.hash = route(['terminals'], { ...filterValues(query), after: answer.next_after,
                                             from: first + rows.length });
    })));
  const refresh = () => {
    showChosen();
    for (const [device, element] of boxes)
      element.checked = selection.has(device);
    pageBox.checked = rows.length > 0 && rows.every((t) => selection.has(t.device_id));
    map.recolour((t) => selection.has(t.device_id));
  };
  selection.watch(refresh);
  refresh();
  const points = await pointsAnswer;
  if (!context.current())
    return;
  const mapped = points.points.map(pointTerminal);
  map.show(mapped, { selected: (t) => selection.has(t.device_id) });
  fill(mapNote, points.capped
    ? format(_('The map shows the first {shown} of {total} terminals.'),
             { shown: formatNumber(mapped.length), total: formatNumber(points.total) })
    : _('Click a point to select or unselect its terminal.'));
}
