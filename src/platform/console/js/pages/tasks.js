// Tasks: every task with its state and progress; a task's items with their state and reports,
// its tablets' progress (the reports each uploaded, its last login), and its reports as they
// arrive (the page asks again every few seconds while it is shown); an open task is cancelled
// here as with "tasks cancel".

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, format, formatNumber, formatTime } from '../i18n.js';
import {
  changeThenReload, confirmButton, heading, keepRefreshed, notice, outcomeName, reportTable,
  stateName, table,
} from '../widgets.js';

const REFRESH_SECONDS = 15;

function progress(task) {
  return h('span', { class: 'progress' },
    h('progress', { max: Math.max(1, task.items), value: task.items_closed }),
    ' ', format(_('{closed} of {total}'), { closed: formatNumber(task.items_closed), total: formatNumber(task.items) }));
}

// "张伟 (13800138000)" for the technician's phone.
async function technicianNames() {
  const { technicians } = await api.get('technicians');
  const names = new Map(technicians.map((t) => [t.phone, `${t.name} (${t.phone})`]));
  return (phone) => names.get(phone) ?? phone;
}

async function list(content, context) {
  const [{ tasks }, technician] = await Promise.all([api.get('tasks'), technicianNames()]);
  if (!context.current())
    return;
  fill(content, heading(_('Tasks')),
    h('section', { class: 'card' }, table([
      { title: _('Task'), cell: (t) => h('a', { href: route(['tasks', t.task_id]) }, t.task_id) },
      { title: _('Technician'), cell: (t) => technician(t.technician) },
      { title: _('Issued'), cell: (t) => formatTime(t.issued_at) },
      { title: _('Valid until'), cell: (t) => formatTime(t.expires_at) },
      { title: _('State'), cell: (t) => stateName(t.state) },
      { title: _('Items closed'), cell: progress },
    ], tasks, { id: 'task-table', empty: _('No task yet') })));
}

// Cancel, for an open task: its terminals not visited yet are withdrawn, its tablets go back to
// stock. A task another operator cancelled (or that completed) first: the page shows it as it is
// now, with why this cancel was refused.
function cancelButton(task, context, reload, status) {
  if (!context.canChange || task.state !== 'open')
    return null;
  return confirmButton(_('Cancel the task'), _('Confirm cancellation'), () => changeThenReload(
    () => api.post(`tasks/${encodeURIComponent(task.task_id)}/cancel`), reload),
  { id: 'task-cancel', report: status, danger: true });
}

// @refusal: why the change this page asked for was refused, shown over the task as it is.
async function one(content, taskId, context, refusal) {
  const [{ task, tablets, tablet_progress: tabletProgress, items, reports }, technician] = await Promise.all([
    api.get('tasks/' + encodeURIComponent(taskId)), technicianNames()]);
  if (!context.current())
    return;
  const reload = (why) => one(content, taskId, context, why);
  const outcomes = new Map(reports.map((report) => [report.report_id, report.outcome]));
  // Each item's reports, newest last (the API lists them as they came).
  const itemReports = new Map();
  for (const report of reports)
    itemReports.set(report.device_id, [...(itemReports.get(report.device_id) ?? []), report]);
  const lastReport = (item) => (itemReports.get(item.device_id) ?? []).at(-1);
  const status = notice();
  status.id = 'task-status';
  if (refusal)
    status.error(refusal);
  fill(content, heading(format(_('Task {id}'), { id: task.task_id }),
    cancelButton(task, context, reload, status)), status,
    h('section', { class: 'card' },
      h('dl', { class: 'record', id: 'task-record' },
        h('dt', null, _('State')), h('dd', { id: 'task-state' }, stateName(task.state)),
        h('dt', null, _('Technician')), h('dd', null, technician(task.technician)),
        h('dt', null, _('Tablets')), h('dd', { id: 'task-tablets' }, tablets.join(', ')),
        h('dt', null, _('Issued')), h('dd', null, formatTime(task.issued_at)),
        h('dt', null, _('Valid until')), h('dd', null, formatTime(task.expires_at)),
        task.rollback_reason ? [h('dt', null, _('Rollback reason')), h('dd', null, task.rollback_reason)] : null,
        h('dt', null, _('Items closed')), h('dd', null, progress(task))),
      task.dispatch_message ? [h('h2', null, _('Dispatch message')),
                               h('pre', { class: 'message' }, task.dispatch_message)] : null),
    h('section', { class: 'card' }, h('h2', null, _('Tablets')),
      h('p', { class: 'hint' }, _('What the platform saw of each tablet: the reports it uploaded for this task, and its last login for the technician (the platform keeps a login only while its session lasts).')),
      table([
        { title: _('Tablet'), cell: (t) => t.serial },
        { title: _('Items reported'), cell: (t) => h('span', { class: 'progress' },
          h('progress', { max: Math.max(1, items.length), value: t.items_reported }), ' ',
          format(_('{reported} of {total}'), { reported: formatNumber(t.items_reported), total: formatNumber(items.length) })) },
        { title: _('Reports'), class: 'number', cell: (t) => formatNumber(t.reports) },
        { title: _('Last report'), cell: (t) => formatTime(t.last_report_at) || _('none yet') },
        { title: _('Last login'), cell: (t) => formatTime(t.last_login_at) || _('none kept') },
      ], tabletProgress, { id: 'tablet-progress' })),
    h('section', { class: 'card' }, h('h2', null, _('Items')), table([
      { title: _('Device ID'), cell: (i) => h('a', { href: route(['terminal', i.device_id]) }, i.device_id) },
      { title: _('Running'), cell: (i) => i.expected_version ?? '' },
      { title: _('Target'), cell: (i) => i.target_version },
      { title: _('Rollback to'), cell: (i) => i.previous_version ?? '' },
      { title: _('State'), cell: (i) => stateName(i.state) },
      { title: _('Outcome'), cell: (i) => outcomeName(outcomes.get(i.closing_report_id) ?? '') },
      { title: _('Reports'), class: 'number', cell: (i) => formatNumber(itemReports.get(i.device_id)?.length ?? 0) },
      { title: _('Last report'), cell: (i) => (lastReport(i)
        ? `${outcomeName(lastReport(i).outcome)} · ${formatTime(lastReport(i).received_at)}` : '') },
    ], items, { id: 'item-table' })),
    h('section', { class: 'card' }, h('h2', null, _('Reports')), reportTable(reports, 'task-reports')));
  keepRefreshed(task.state === 'open', context, REFRESH_SECONDS, () => reload(), status);
}

export async function render(content, parts, query, context) {
  fill(content, heading(_('Tasks')), h('p', { class: 'loading' }, _('Loading…')));
  if (parts.length > 0)
    await one(content, parts[0], context);
  else
    await list(content, context);
}
