// Audit log: who changed what and when, with the record before and after; newest first, a page
// at a time, and the whole log as CSV.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, formatTime } from '../i18n.js';
import { heading, pager, table } from '../widgets.js';

const PAGE_SIZE = 100;

function shown(value) {
  if (value === null || value === undefined)
    return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export async function render(content, parts, query, context) {
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  fill(content, heading(_('Audit log')), h('p', { class: 'loading' }, _('Loading…')));
  const answer = await api.get('audit', { offset, limit: PAGE_SIZE });
  if (!context.current())
    return;
  fill(content,
    heading(_('Audit log'), h('a', { class: 'button', id: 'audit-csv', href: api.url('audit.csv'), download: 'audit.csv' },
                              _('Export as CSV'))),
    h('section', { class: 'card' },
      table([
        { title: _('When'), cell: (e) => formatTime(e.at) },
        { title: _('Operator'), cell: (e) => e.operator },
        { title: _('Action'), cell: (e) => e.action },
        { title: _('What'), cell: (e) => e.target ?? '' },
        { title: _('Before'), class: 'json', cell: (e) => shown(e.before) },
        { title: _('After'), class: 'json', cell: (e) => shown(e.after) },
      ], answer.entries, { id: 'audit-table', empty: _('Nothing was changed yet') }),
      pager(offset, PAGE_SIZE, answer.total, (next) => {
        location.hash = route(['audit'], { offset: next || '' });
      })));
}
