// Tasks: every task with its state and progress; a task's items with their state and the reports
// as they arrive.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, format, formatNumber, formatTime } from '../i18n.js';
import { heading, stateName, table } from '../widgets.js';

function progress(task) {
  return h('span', { class: 'progress' },
    h('progress', { max: Math.max(1, task.items), value: task.items_closed }),
    ' ', format(_('{closed} of {total}'), { closed: formatNumber(task.items_closed), total: formatNumber(task.items) }));
}

async function list(content, context) {
  const { tasks } = await api.get('tasks');
  if (!context.current())
    return;
  fill(content, heading(_('Tasks')),
    h('section', { class: 'card' }, table([
      { title: _('Task'), cell: (t) => h('a', { href: route(['tasks', t.task_id]) }, t.task_id) },
      { title: _('Technician'), cell: (t) => t.technician },
      { title: _('Tablets'), cell: (t) => (t.handhelds ?? []).join(', ') },
      { title: _('Issued'), cell: (t) => formatTime(t.issued_at) },
      { title: _('Valid until'), cell: (t) => formatTime(t.expires_at) },
      { title: _('State'), cell: (t) => stateName(t.state) },
      { title: _('Items closed'), cell: progress },
    ], tasks, { id: 'task-table', empty: _('No task yet') })));
}

async function one(content, taskId, context) {
  const { task, items = [] } = await api.get('tasks/' + encodeURIComponent(taskId));
  if (!context.current())
    return;
  fill(content, heading(format(_('Task {id}'), { id: task.task_id })),
    h('section', { class: 'card' },
      h('dl', { class: 'record', id: 'task-record' },
        h('dt', null, _('State')), h('dd', null, stateName(task.state)),
        h('dt', null, _('Technician')), h('dd', null, task.technician),
        h('dt', null, _('Tablets')), h('dd', null, (task.handhelds ?? []).join(', ')),
        h('dt', null, _('Issued')), h('dd', null, formatTime(task.issued_at)),
        h('dt', null, _('Valid until')), h('dd', null, formatTime(task.expires_at)),
        h('dt', null, _('Items closed')), h('dd', null, progress(task))),
      task.dispatch_message ? [h('h2', null, _('Dispatch message')),
                             h('pre', { class: 'message' }, task.dispatch_message)] : null),
    h('section', { class: 'card' }, h('h2', null, _('Items')), table([
      { title: _('Device ID'), cell: (i) => h('a', { href: route(['terminal', i.device_id]) }, i.device_id) },
      { title: _('Target'), cell: (i) => i.target_version ?? '' },
      { title: _('State'), cell: (i) => stateName(i.state) },
      { title: _('Outcome'), cell: (i) => i.outcome_text ?? i.outcome ?? '' },
      { title: _('Report'), cell: (i) => (i.report_id ? h('a', {
        href: api.url('reports/' + encodeURIComponent(i.report_id) + '/pdf'), target: '_blank', rel: 'noopener',
      }, i.report_id) : '') },
    ], items, { id: 'item-table' })));
}

export async function render(content, parts, query, context) {
  fill(content, heading(_('Tasks')), h('p', { class: 'loading' }, _('Loading…')));
  if (parts.length > 0)
    await one(content, parts[0], context);
  else
    await list(content, context);
}
