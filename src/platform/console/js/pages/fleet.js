// Fleet: how many terminals of each vendor and model run each version, as a chart and a table;
// a version leads to its terminals.

import * as api from '../api.js';
import { barChart } from '../chart.js';
import { h, fill, route } from '../dom.js';
import { _, formatNumber } from '../i18n.js';
import { heading, table } from '../widgets.js';

export async function render(content, parts, query, context) {
  fill(content, heading(_('Fleet')), h('p', { class: 'loading' }, _('Loading…')));
  const { groups: versions } = await api.get('fleet');
  if (!context.current())
    return;
  const link = (row) => route(['terminals'], { vendor: row.vendor, model: row.model, version: row.version });
  const models = new Map();
  for (const row of versions) {
    const key = `${row.vendor} ${row.model}`;
    if (!models.has(key))
      models.set(key, []);
    models.get(key).push({ label: row.version, value: row.terminals, href: link(row) });
  }
  const total = versions.reduce((sum, row) => sum + row.terminals, 0);
  fill(content,
    heading(_('Fleet')),
    h('p', { class: 'summary' }, _('Terminals in the ledger:'), ' ', h('strong', { id: 'fleet-total' }, formatNumber(total))),
    h('section', { class: 'card' },
      h('h2', null, _('Terminals by model and version')),
      barChart([...models].map(([label, segments]) => ({ label, segments })), {
        id: 'fleet-chart', title: _('Terminals by model and version'),
        // the card's inner width: the content's less the card's padding and border
        width: Math.max(600, content.clientWidth - 90),
      }),
      // An empty chart is a blank card, which reads as a page that failed to load.
      versions.length === 0 ? h('p', { class: 'empty', id: 'fleet-chart-empty' }, _('The ledger is empty')) : null),
    h('section', { class: 'card' },
      table([
        { title: _('Vendor'), cell: (row) => row.vendor },
        { title: _('Model'), cell: (row) => row.model },
        { title: _('Version'), cell: (row) => h('a', { href: link(row), class: 'version-link' }, row.version) },
        { title: _('Terminals'), class: 'number', cell: (row) => formatNumber(row.terminals) },
      ], versions, { id: 'fleet-table', empty: _('The ledger is empty') })));
}
