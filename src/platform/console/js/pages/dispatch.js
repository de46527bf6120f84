// Dispatch: the selected terminals to one technician with tablets in stock, the target firmware
// and the validity; a preview (the terminals in route order on the map), then the signed task
// and the dispatch message the technician gets.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, format, formatNumber, formatTime } from '../i18n.js';
import { terminalMap } from '../map.js';
import * as selection from '../selection.js';
import { busy, field, heading, notice, select, table } from '../widgets.js';

export async function render(content, parts, query, context) {
  fill(content, heading(_('Dispatch')), h('p', { class: 'loading' }, _('Loading…')));
  const chosen = selection.all();
  if (chosen.length === 0) {
    fill(content, heading(_('Dispatch')),
      h('p', { class: 'empty', id: 'dispatch-empty' }, _('No terminal is selected.'), ' ',
        h('a', { href: '#/terminals' }, _('Select terminals first'))));
    return;
  }
  const [{ technicians }, { handhelds }, { firmware }] = await Promise.all([
    api.get('technicians'), api.get('handhelds'), api.get('firmware')]);
  if (!context.current())
    return;
  const models = new Set(chosen.map((t) => `${t.vendor}\u0000${t.model}`));
  const targets = [...new Set(firmware.filter((fw) => !fw.withdrawn
                                              && models.has(`${fw.vendor}\u0000${fw.model}`))
    .map((fw) => fw.version))];
  const status = notice();
  const technician = select('dispatch-technician', technicians.filter((t) => t.enabled !== false)
    .map((t) => [t.phone, `${t.name} (${t.phone})`]), null);
  const inStock = handhelds.filter((tablet) => tablet.state === 'in-stock');
  const tablets = h('div', { class: 'choices', id: 'dispatch-tablets' }, inStock.length === 0
    ? h('p', { class: 'empty' }, _('No tablet is in stock'))
    : inStock.map((tablet) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'handheld', value: tablet.serial }), tablet.serial)));
  const target = select('dispatch-firmware', targets.map((v) => [v, v]), targets.at(-1));
  const validDays = h('input', { id: 'dispatch-valid-days', type: 'number', min: 1, max: 30, value: 7 });
  const rollback = h('input', { id: 'dispatch-rollback', placeholder: _('only for a downgrade') });
  const preview = h('section', { class: 'card', id: 'dispatch-preview', hidden: true });
  const mapElement = h('div', { class: 'map', id: 'dispatch-map' });
  const request = () => ({
    technician: technician.value,
    handhelds: [...tablets.querySelectorAll('input:checked')].map((box) => box.value),
    terminals: chosen.map((t) => t.device_id),
    firmware: target.value,
    valid_days: Number.parseInt(validDays.value, 10),
    rollback: rollback.value.trim() || undefined,
  });
  const previewButton = h('button', { id: 'dispatch-preview-button' }, _('Preview'));
  const createButton = h('button', { class: 'primary', id: 'dispatch-create', disabled: true }, _('Create the task'));
  let map = null;
  previewButton.addEventListener('click', () => busy(previewButton, status, async () => {
    const answer = await api.post('tasks/preview', request());
    preview.hidden = false;
    fill(preview, h('h2', null, _('Preview')),
      h('p', null, format(_('{count} terminals in route order, firmware {firmware}'),
                          { count: formatNumber(answer.items.length), firmware: target.value })),
      h('div', { class: 'split' },
        table([
          { title: '#', class: 'number', cell: (item) => String(answer.items.indexOf(item) + 1) },
          { title: _('Device ID'), cell: (item) => item.device_id },
          { title: _('Name'), cell: (item) => item.name ?? '' },
          { title: _('Running'), cell: (item) => item.version ?? item.expected_version ?? '' },
          { title: _('Target'), cell: (item) => item.target_version ?? target.value },
          { title: _('Rollback to'), cell: (item) => item.previous_version ?? '' },
        ], answer.items, { id: 'preview-table' }),
        mapElement));
    map ??= terminalMap(mapElement);
    map.resize();
    map.show(answer.items, { route: true });
    createButton.disabled = false;
  }));
  createButton.addEventListener('click', () => busy(createButton, status, async () => {
    const answer = await api.post('tasks', request());
    selection.clear();
    fill(content, heading(_('Task created')),
      h('section', { class: 'card', id: 'dispatch-result' },
        h('p', null, _('Task'), ' ', h('a', { href: route(['tasks', answer.task_id]), id: 'created-task' },
                                       answer.task_id),
          answer.expires_at ? ' · ' + format(_('valid until {time}'), { time: formatTime(answer.expires_at) }) : ''),
        h('h2', null, _('Dispatch message')),
        h('pre', { class: 'message', id: 'dispatch-message' }, answer.message)));
  }));
  fill(content,
    heading(_('Dispatch'), h('span', { id: 'dispatch-count' },
      format(_('{count} terminals selected'), { count: formatNumber(chosen.length) }))),
    h('section', { class: 'card' },
      h('div', { class: 'form-grid' },
        field(_('Technician'), technician),
        field(_('Target firmware'), target),
        field(_('Valid for (days)'), validDays),
        field(_('Rollback reason'), rollback)),
      h('h3', null, _('Tablets in stock')), tablets,
      h('div', { class: 'actions' }, previewButton, context.canChange ? createButton : null),
      status),
    preview);
}
