// Tablets and technicians: the tablets' stock states (in stock, checked out, retired), adding and
// retiring a tablet; the technicians and the supervisors.

import * as api from '../api.js';
import { h, fill } from '../dom.js';
import { _, formatTime } from '../i18n.js';
import { busy, confirmButton, field, heading, notice, stateName, table } from '../widgets.js';

function tabletForm(reload) {
  const status = notice();
  const serial = h('input', { id: 'tablet-serial', name: 'serial', required: true });
  const key = h('textarea', { id: 'tablet-pubkey', name: 'pubkey', rows: 3, required: true,
                              placeholder: '-----BEGIN PUBLIC KEY-----' });
  const submit = h('button', { type: 'submit', id: 'tablet-add' }, _('Add tablet'));
  return h('form', {
    class: 'inline', onsubmit: (event) => {
      event.preventDefault();
      busy(submit, status, async () => {
        await api.post('handhelds', { serial: serial.value.trim(), pubkey: key.value });
        await reload();
      });
    },
  }, field(_('Serial'), serial), field(_('Public key (PEM)'), key), submit, status);
}

function technicianForm(reload) {
  const status = notice();
  const phone = h('input', { id: 'technician-phone', name: 'phone', required: true, inputmode: 'numeric' });
  const name = h('input', { id: 'technician-name', name: 'name', required: true });
  const pin = h('input', { id: 'technician-pin', name: 'pin', type: 'password', required: true,
                           inputmode: 'numeric', autocomplete: 'new-password' });
  const submit = h('button', { type: 'submit', id: 'technician-add' }, _('Add technician'));
  return h('form', {
    class: 'inline', onsubmit: (event) => {
      event.preventDefault();
      busy(submit, status, async () => {
        await api.post('technicians', { phone: phone.value.trim(), name: name.value.trim(), pin: pin.value });
        await reload();
      });
    },
  }, field(_('Phone'), phone), field(_('Name'), name), field(_('PIN'), pin), submit, status);
}

export async function render(content, parts, query, context) {
  fill(content, heading(_('Tablets and technicians')), h('p', { class: 'loading' }, _('Loading…')));
  const [{ handhelds }, { technicians }, { supervisors }] = await Promise.all([
    api.get('handhelds'), api.get('technicians'), api.get('supervisors')]);
  if (!context.current())
    return;
  const reload = () => render(content, parts, query, context);
  const status = notice();
  const retire = (tablet) => (tablet.state === 'retired' ? '' : confirmButton(_('Retire'), _('Confirm retirement'),
    async () => {
      await api.post('handhelds/' + encodeURIComponent(tablet.serial) + '/retire');
      await reload();
    }, { report: status, danger: true }));
  fill(content, heading(_('Tablets and technicians')),
    h('section', { class: 'card' }, h('h2', null, _('Tablets')), status,
      table([
        { title: _('Serial'), cell: (t) => t.serial },
        { title: _('State'), cell: (t) => h('span', { class: 'state-' + t.state }, stateName(t.state)) },
        { title: _('Task'), cell: (t) => t.task_id ?? '' },
        context.canChange ? { title: '', cell: retire } : null,
      ].filter(Boolean), handhelds, { id: 'tablet-table', empty: _('No tablet yet') }),
      context.canChange ? tabletForm(reload) : null),
    h('section', { class: 'card' }, h('h2', null, _('Technicians')),
      table([
        { title: _('Name'), cell: (t) => t.name },
        { title: _('Phone'), cell: (t) => t.phone },
      ], technicians, { id: 'technician-table', empty: _('No technician yet') }),
      context.canChange ? technicianForm(reload) : null),
    h('section', { class: 'card' }, h('h2', null, _('Supervisors')),
      table([
        { title: _('Name'), cell: (s) => s.name },
        { title: _('State'), cell: (s) => (s.enabled === false ? _('disabled') : _('enabled')) },
        { title: _('Added'), cell: (s) => formatTime(s.added_at) },
      ], supervisors, { id: 'supervisor-table', empty: _('No supervisor yet') })));
}
