// Tablets and technicians: the tablets' stock states (in stock, checked out, retired), adding and
// retiring a tablet; the technicians (adding one, as `technicians add` does) and supervisors; the
// console's operators (admins add and disable them).

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, formatTime } from '../i18n.js';
import { busy, confirmButton, field, heading, notice, roleName, select, stateName, table } from '../widgets.js';

// A form whose submit runs @action with the trimmed values of its named fields, then @reload.
function changeForm(id, fields, label, action, reload) {
  const status = notice();
  const submit = h('button', { type: 'submit', id: id + '-add' }, label);
  const form = h('form', {
    class: 'inline', id: id + '-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, status, async () => {
        await action(Object.fromEntries(fields.map(([name]) => [name, form.elements[name].value.trim()])));
        await reload();
      });
    },
  }, fields.map(([, text, input]) => field(text, input)), submit, status);
  return form;
}

export async function render(content, parts, query, context) {
  fill(content, heading(_('Tablets and technicians')), h('p', { class: 'loading' }, _('Loading…')));
  const [{ tablets }, { technicians }, { supervisors }, { operators }] = await Promise.all([
    api.get('tablets'), api.get('technicians'), api.get('supervisors'), api.get('operators')]);
  if (!context.current())
    return;
  const reload = () => render(content, parts, query, context);
  const status = notice();
  const admin = context.role === 'admin';
  const retire = (tablet) => (tablet.state === 'retired' ? '' : confirmButton(_('Retire'), _('Confirm retirement'),
    async () => {
      await api.post('tablets/' + encodeURIComponent(tablet.serial) + '/retire');
      await reload();
    }, { report: status, danger: true, id: 'retire-' + tablet.serial }));
  const disable = (operator) => (!operator.enabled ? '' : confirmButton(_('Disable'), _('Confirm'),
    async () => {
      await api.post('operators/' + encodeURIComponent(operator.name) + '/disable');
      await reload();
    }, { report: status, danger: true }));
  fill(content, heading(_('Tablets and technicians')),
    h('section', { class: 'card' }, h('h2', null, _('Tablets')), status,
      table([
        { title: _('Serial'), cell: (t) => t.serial },
        { title: _('State'), cell: (t) => h('span', { class: 'state-' + t.state }, stateName(t.state)) },
        { title: _('Task'), cell: (t) => (t.task_id ? h('a', { href: route(['tasks', t.task_id]) }, t.task_id) : '') },
        context.canChange ? { title: '', cell: retire } : null,
      ].filter(Boolean), tablets, { id: 'tablet-table', empty: _('No tablet yet') }),
      context.canChange ? changeForm('tablet', [
        ['serial', _('Serial'), h('input', { id: 'tablet-serial', name: 'serial', required: true })],
        ['public_key_pem', _('Public key (PEM)'), h('textarea', {
          id: 'tablet-key', name: 'public_key_pem', rows: 3, required: true, placeholder: '-----BEGIN PUBLIC KEY-----',
        })],
      ], _('Add tablet'), (values) => api.post('tablets', values), reload) : null),
    h('div', { class: 'columns' },
      h('section', { class: 'card' }, h('h2', null, _('Technicians')),
        table([
          { title: _('Name'), cell: (t) => t.name },
          { title: _('Phone'), cell: (t) => t.phone },
        ], technicians, { id: 'technician-table', empty: _('No technician yet') }),
        context.canChange ? changeForm('technician', [
          ['name', _('Name'), h('input', { id: 'technician-name', name: 'name', required: true, maxlength: 128 })],
          ['phone', _('Phone'), h('input', {
            id: 'technician-phone', name: 'phone', required: true, inputmode: 'numeric', pattern: '1[0-9]{10}',
            placeholder: '13800138000', size: 12,
          })],
          ['pin', _('PIN (4 to 12 digits)'), h('input', {
            id: 'technician-pin', name: 'pin', type: 'password', required: true, inputmode: 'numeric',
            pattern: '[0-9]{4,12}', autocomplete: 'new-password', size: 8,
          })],
        ], _('Add technician'), (values) => api.post('technicians', values), reload) : null),
      h('section', { class: 'card' }, h('h2', null, _('Supervisors')),
        table([
          { title: _('Name'), cell: (s) => s.name },
          { title: _('State'), cell: (s) => (s.enabled ? _('enabled') : _('disabled')) },
          { title: _('Added'), cell: (s) => formatTime(s.added_at) },
        ], supervisors, { id: 'supervisor-table', empty: _('No supervisor yet') }))),
    h('section', { class: 'card' }, h('h2', null, _('Operators')),
      table([
        { title: _('Name'), cell: (o) => o.name },
        { title: _('Role'), cell: (o) => roleName(o.role) },
        { title: _('State'), cell: (o) => (o.enabled ? _('enabled') : _('disabled')) },
        { title: _('Added'), cell: (o) => formatTime(o.added_at) },
        admin ? { title: '', cell: disable } : null,
      ].filter(Boolean), operators, { id: 'operator-table' }),
      admin ? changeForm('operator', [
        ['name', _('Name'), h('input', { id: 'operator-new-name', name: 'name', required: true })],
        ['role', _('Role'), select('role', [['operator', roleName('operator')], ['auditor', roleName('auditor')],
                                            ['admin', roleName('admin')]], 'operator')],
        ['password', _('Password'), h('input', {
          id: 'operator-password', name: 'password', type: 'password', required: true, minlength: 10,
          autocomplete: 'new-password',
        })],
      ], _('Add operator'), (values) => api.post('operators', values), reload) : null));
}
