// Dispatch: the selected terminals to one technician with tablets in stock, the target firmware
// and the validity; a preview (the task as it would be signed, its terminals in route order — the
// console sends them so ordered, route.js — on the map), then the signed task and the dispatch
// message the technician gets.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, format, formatNumber, formatTime } from '../i18n.js';
import { terminalMap } from '../map.js';
import { routeOrder } from '../route.js';
import * as selection from '../selection.js';
import { busy, field, heading, notice, select, table } from '../widgets.js';

// The versions a dispatch may target: those not withdrawn, newest last; the selection's own
// models' versions first when the selection knows its models.
function targetVersions(firmware, chosen) {
  const models = new Set(chosen.filter((t) => t.model).map((t) => `${t.vendor}\u0000${t.model}`));
  const usable = firmware.filter((fw) => !fw.withdrawn);
  const own = usable.filter((fw) => models.has(`${fw.vendor}\u0000${fw.model}`));
  return [...new Set((own.length > 0 ? own : usable).map((fw) => fw.version))];
}

function itemTerminal(item) {
  return { device_id: item.device_id, name: item.name, latitude: item.position.lat,
           longitude: item.position.lon };
}

function showPreview(preview, mapElement, answer) {
  const items = answer.document.items;
  fill(preview, h('h2', null, _('Preview')),
    h('p', { id: 'preview-summary' }, format(_('{count} terminals in route order, firmware {firmware}'),
      { count: formatNumber(items.length), firmware: items[0]?.target.version ?? '' })),
    h('div', { class: 'split' },
      table([
        { title: '#', class: 'number', cell: (item) => String(items.indexOf(item) + 1) },
        { title: _('Device ID'), cell: (item) => item.device_id },
        { title: _('Site name'), cell: (item) => item.name },
        { title: _('Running'), cell: (item) => item.expected_version },
        { title: _('Target'), cell: (item) => item.target.version },
        { title: _('Rollback to'), cell: (item) => item.previous?.version ?? '' },
      ], items, { id: 'preview-table' }),
      h('div', { class: 'map-card' }, mapElement)));
  preview.hidden = false;
  const map = terminalMap(mapElement);
  map.show(items.map(itemTerminal), { route: true });
}

function showCreated(content, answer) {
  const task = answer.task;
  fill(content, heading(_('Task created')),
    h('section', { class: 'card', id: 'dispatch-result' },
      h('p', null, _('Task'), ' ', h('a', { href: route(['tasks', task.task_id]), id: 'created-task' }, task.task_id),
        ' · ', format(_('valid until {time}'), { time: formatTime(task.expires_at) })),
      h('h2', null, _('Dispatch message')),
      h('pre', { class: 'message', id: 'dispatch-message' }, task.dispatch_message)));
}

export async function render(content, parts, query, context) {
  fill(content, heading(_('Dispatch')), h('p', { class: 'loading' }, _('Loading…')));
  const chosen = routeOrder(selection.all());
  if (chosen.length === 0) {
    fill(content, heading(_('Dispatch')),
      h('p', { class: 'empty', id: 'dispatch-empty' }, _('No terminal is selected.'), ' ',
        h('a', { href: '#/terminals' }, _('Select terminals first'))));
    return;
  }
  const [{ technicians }, { tablets: allTablets }, { firmware }] = await Promise.all([
    api.get('technicians'), api.get('tablets'), api.get('firmware')]);
  if (!context.current())
    return;
  const targets = targetVersions(firmware, chosen);
  const status = notice();
  const technician = select('dispatch-technician', technicians.map((t) => [t.phone, `${t.name} (${t.phone})`]), null);
  const inStock = allTablets.filter((tablet) => tablet.state === 'in-stock');
  const tablets = h('div', { class: 'choices', id: 'dispatch-tablets' }, inStock.length === 0
    ? h('p', { class: 'empty' }, _('No tablet is in stock'))
    : inStock.map((tablet) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'tablet', value: tablet.serial }), tablet.serial)));
  const target = select('dispatch-firmware', targets.map((v) => [v, v]), targets.at(-1));
  const validDays = h('input', { id: 'dispatch-valid-days', type: 'number', min: 1, max: 366, value: 7 });
  const rollback = h('input', { id: 'dispatch-rollback', placeholder: _('only for a downgrade') });
  const preview = h('section', { class: 'card', id: 'dispatch-preview', hidden: true });
  const request = () => ({
    technician: technician.value,
    tablets: [...tablets.querySelectorAll('input:checked')].map((box) => box.value),
    terminals: chosen.map((t) => t.device_id),
    firmware: target.value,
    valid_days: Number.parseInt(validDays.value, 10),
    rollback_reason: rollback.value.trim() || undefined,
  });
  const previewButton = h('button', { id: 'dispatch-preview-button' }, _('Preview'));
  const createButton = h('button', { class: 'primary', id: 'dispatch-create', disabled: true }, _('Create the task'));
  // A change of any choice needs a new preview before the task is created.
  const stale = () => {
    createButton.disabled = true;
  };
  previewButton.addEventListener('click', () => busy(previewButton, status, async () => {
    showPreview(preview, h('div', { class: 'map', id: 'dispatch-map' }), await api.post('tasks/preview', request()));
    createButton.disabled = false;
  }));
  createButton.addEventListener('click', () => busy(createButton, status, async () => {
    const answer = await api.post('tasks', request());
    selection.clear();
    showCreated(content, answer);
  }));
  const form = h('section', { class: 'card', onchange: stale, oninput: stale },
    h('div', { class: 'form-grid' },
      field(_('Technician'), technician),
      field(_('Target firmware'), target),
      field(_('Valid for (days)'), validDays),
      field(_('Rollback reason'), rollback)),
    h('h3', null, _('Tablets in stock')), tablets,
    context.canChange ? h('div', { class: 'actions' }, previewButton, createButton)
                      : h('p', { class: 'hint' }, _('An auditor cannot dispatch.')),
    status);
  fill(content,
    heading(_('Dispatch'), h('span', { id: 'dispatch-count' },
      format(_('{count} terminals selected'), { count: formatNumber(chosen.length) }))),
    form, preview);
}
