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

// Whether @file is a package for networked terminals, whose signed manifest describes it.
function isPackage(file) {
  return file?.name.toLowerCase().endsWith('.ffpkg') ?? false;
}

// Uploads a plain image with its record (firmware add's fields), or a package (.ffpkg) that
// describes itself, showing how much was sent.
function uploadForm(reload) {
  const status = notice();
  const progress = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true });
  const input = (name, props) => h('input', { id: 'firmware-' + name, name, required: true, ...props });
  const described = ['vendor', 'model', 'version', 'hardware'].map((name) => input(name));
  const hint = h('p', { class: 'hint' }, _('A package (.ffpkg) describes itself: its fields may stay empty.'));
  const file = input('file', {
    type: 'file',
    onchange: () => {
      for (const field of described)
        field.required = !isPackage(file.files[0]);
    },
  });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'firmware-upload' }, _('Upload'));
  const form = h('form', {
    class: 'upload', id: 'firmware-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, status, async () => {
        const fields = Object.fromEntries(['vendor', 'model', 'version', 'hardware', 'notes']
          .map((name) => [name, form.elements[name].value.trim()]));
        if (isPackage(file.files[0]))
          fields.format = 'ffpkg';
        progress.hidden = false;
        progress.value = 0;
        const answer = await api.upload('firmware', fields, file.files[0], (fraction) => {
          progress.value = fraction;
        });
        form.reset();
        const added = format(_('Added firmware {version} for {vendor} {model}'), answer.firmware);
        await reload(answer.delta_error ? `${added} (${answer.delta_error})` : added);
      });
    },
  },
  field(_('Image or package'), file),
  field(_('Vendor'), described[0]),
  field(_('Model'), described[1]),
  field(_('Version'), described[2]),
  field(_('Hardware versions (comma-separated)'), described[3]),
  field(_('Notes'), h('textarea', { id: 'firmware-notes', name: 'notes', rows: 2 })),
  h('div', { class: 'upload-send' }, submit, progress), hint, status);
  return h('section', { class: 'card' }, h('h2', null, _('Upload firmware')), form);
}

// Fills @list with every version; @message says what a change just did.
async function showList(list, context, message) {
  const { firmware } = await api.get('firmware');
  if (!context.current())
    return;
  const status = notice();
  const withdraw = (fw) => (fw.withdrawn ? '' : confirmButton(_('Withdraw'), _('Confirm withdrawal'),
    async () => {
      await api.post('firmware/' + encodeURIComponent(fw.version) + '/withdraw', {},
                     { vendor: fw.vendor, model: fw.model });
      await showList(list, context);
    }, { report: status, danger: true, id: `withdraw-${fw.vendor}-${fw.model}-${fw.version}` }));
  fill(list,
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
    status);
  if (message)
    status.ok(message);
}

export async function render(content, parts, query, context) {
  const list = h('section', { class: 'card' }, h('p', { class: 'loading' }, _('Loading…')));
  // The upload form stays while the list below it is shown again after each change.
  fill(content, heading(_('Firmware')),
    context.canChange ? uploadForm((message) => showList(list, context, message)) : null, list);
  await showList(list, context);
}
