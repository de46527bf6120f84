// Firmware: every version with its hardware, notes, state, delta patches and where it runs;
// upload (with a progress bar) and withdraw.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, format, formatNumber } from '../i18n.js';
import { busy, confirmButton, field, heading, notice, stateName, table } from '../widgets.js';

function size(bytes) {
  if (!Number.isFinite(bytes))
    return '';
  if (bytes < 1024)
    return format(_('{n} bytes'), { n: formatNumber(bytes) });
  if (bytes < 1024 * 1024)
    return format(_('{n} KiB'), { n: formatNumber(Math.round(bytes / 102.4) / 10) });
  return format(_('{n} MiB'), { n: formatNumber(Math.round(bytes / 104857.6) / 10) });
}

// Uploads a plain image with its record (firmware add's fields), showing how much was sent.
function uploadForm(reload) {
  const status = notice();
  const progress = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true });
  const input = (name, props) => h('input', { id: 'firmware-' + name, name, ...props });
  const file = input('file', { type: 'file', required: true });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'firmware-upload' }, _('Upload'));
  const form = h('form', {
    class: 'upload', id: 'firmware-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, status, async () => {
        const fields = Object.fromEntries(['vendor', 'model', 'version', 'hardware', 'notes']
          .map((name) => [name, form.elements[name].value.trim()]));
        progress.hidden = false;
        progress.value = 0;
        const answer = await api.upload('firmware', fields, file.files[0], (fraction) => {
          progress.value = fraction;
        });
        const added = format(_('Added firmware {version} for {vendor} {model}'), answer.firmware);
        await reload(answer.delta_error ? `${added} (${answer.delta_error})` : added);
      });
    },
  },
  field(_('Image'), file),
  field(_('Vendor'), input('vendor', { required: true })),
  field(_('Model'), input('model', { required: true })),
  field(_('Version'), input('version', { required: true })),
  field(_('Hardware versions (comma-separated)'), input('hardware', { required: true })),
  field(_('Notes'), h('textarea', { id: 'firmware-notes', name: 'notes', rows: 2 })),
  h('div', { class: 'upload-send' }, submit, progress), status);
  return h('section', { class: 'card' }, h('h2', null, _('Upload firmware')), form);
}

export async function render(content, parts, query, context) {
  fill(content, heading(_('Firmware')), h('p', { class: 'loading' }, _('Loading…')));
  const { firmware } = await api.get('firmware');
  if (!context.current())
    return;
  const status = notice();
  // @message: what the change did, shown on the new page
  const reload = (message) => render(content, parts, query, { ...context, message });
  const withdraw = (fw) => (fw.withdrawn ? '' : confirmButton(_('Withdraw'), _('Confirm withdrawal'),
    async () => {
      await api.post('firmware/' + encodeURIComponent(fw.version) + '/withdraw', {},
                     { vendor: fw.vendor, model: fw.model });
      await reload();
    }, { report: status, danger: true, id: `withdraw-${fw.vendor}-${fw.model}-${fw.version}` }));
  fill(content,
    heading(_('Firmware')),
    context.canChange ? uploadForm(reload) : null,
    h('section', { class: 'card' },
      table([
        { title: _('Vendor'), cell: (fw) => fw.vendor },
        { title: _('Model'), cell: (fw) => fw.model },
        { title: _('Version'), cell: (fw) => h('strong', null, fw.version) },
        { title: _('State'), cell: (fw) => stateName(fw.withdrawn ? 'withdrawn' : 'available') },
        { title: _('Hardware'), cell: (fw) => fw.hardware_versions.replaceAll(',', ', ') },
        { title: _('Size'), class: 'number', cell: (fw) => size(fw.size) },
        { title: _('Notes'), cell: (fw) => fw.notes ?? '' },
        { title: _('Delta patches from'), cell: (fw) => (fw.deltas ?? []).map((d) =>
          h('span', { class: 'delta' }, `${d.from_version} (${size(d.size)})`)) },
        { title: _('Runs on'), class: 'number', cell: (fw) => h('a', {
          href: route(['terminals'], { vendor: fw.vendor, model: fw.model, version: fw.version }),
        }, formatNumber(fw.terminals_running)) },
        context.canChange ? { title: '', cell: withdraw } : null,
      ].filter(Boolean), firmware, { id: 'firmware-table', empty: _('No firmware yet'),
                                     rowClass: (fw) => (fw.withdrawn ? 'state-withdrawn' : null) }),
      status));
  if (context.message)
    status.ok(context.message);
}
