// Audit log: who changed what and when, with the record before and after; newest first, a page
// at a time, and the whole log as CSV.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, formatTime } from '../i18n.js';
import { heading, pageStart, pager, table } from '../widgets.js';

const PAGE_SIZE = 100;

export async function render(content, parts, query, context) {
  const first = pageStart(query);
  fill(content, heading(_('Audit log')), h('p', { class: 'loading' }, _('Loading…')));
  const answer = await api.get('audit', { before: query.get('before'), limit: PAGE_SIZE });
  if (!context.current())
    return;
  fill(content,
    heading(_('Audit log'), h('a', { class: 'button', id: 'audit-csv', href: api.url('audit.csv') },
                              _('Export as CSV'))),
    h('section', { class: 'card' },
      table([
        { title: _('When'), cell: (e) => formatTime(e.at) },
        { title: _('Operator'), cell: (e) => e.operator },
        { title: _('Action'), cell: (e) => e.action },
        { title: _('What'), cell: (e) => e.target },
        // The records as the server stored them (JSON text), shown as text.
        { title: _('Before'), class: 'json', cell: (e) => e.before ?? '' },
        { title: _('After'), class: 'json', cell: (e) => e.after ?? '' },
      ], answer.entries, { id: 'audit-table', empty: _('Nothing was changed yet') }),
      pager(first, answer.entries.length, undefined, answer.next_before && (() => {
        location.hash = route(['audit'], { before: answer.next_before, from: first + answer.entries.length });
      }))));
}
