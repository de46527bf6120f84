// Terminal: its ledger record, its version history as a timeline (from the ledger and from
// tablets' reports), its reports with their PDF, and the versions blacklisted for it.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, formatTime } from '../i18n.js';
import { busy, confirmButton, field, heading, notice, reportTable, table } from '../widgets.js';

function record(terminal) {
  const rows = [
    [_('Device ID'), terminal.device_id], [_('Site name'), terminal.name], [_('Vendor'), terminal.vendor],
    [_('Model'), terminal.model], [_('Version'), terminal.software_version],
    [_('Hardware'), terminal.hardware_version], [_('Link'), terminal.link], [_('Area'), terminal.area],
    [_('Address'), terminal.host ? `${terminal.host}:${terminal.port}` : null],
    [_('Common address'), terminal.common_address], [_('Profile'), terminal.profile],
    [_('Position'), Number.isFinite(terminal.latitude)
      ? `${terminal.latitude.toFixed(6)}, ${terminal.longitude.toFixed(6)}` : null],
  ];
  return h('dl', { class: 'record', id: 'terminal-record' },
    rows.filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([name, value]) => [h('dt', null, name), h('dd', null, value)]));
}

function sourceName(source) {
  return { ledger: _('ledger'), report: _('tablet report'), remote: _('remote upgrade') }[source] ?? source;
}

function timeline(history) {
  if (history.length === 0)
    return h('p', { class: 'empty' }, _('No version change recorded'));
  return h('ol', { class: 'timeline', id: 'version-history' }, history.map((entry) =>
    h('li', { class: 'source-' + entry.source },
      h('time', null, formatTime(entry.changed_at)),
      h('span', { class: 'change' }, entry.from ?? '—', ' → ', h('strong', null, entry.to)),
      h('span', { class: 'source' }, sourceName(entry.source)),
      entry.report_id ? h('span', { class: 'report' }, entry.report_id) : null)));
}

export async function render(content, parts, query, context) {
  const deviceId = parts[0] ?? '';
  fill(content, heading(deviceId), h('p', { class: 'loading' }, _('Loading…')));
  const answer = await api.get('terminals/' + encodeURIComponent(deviceId));
  if (!context.current())
    return;
  const { terminal, history = [], reports = [], blacklist = [] } = answer;
  const status = notice();
  const reload = () => render(content, parts, query, context);
  const removeButton = (entry) => confirmButton(_('Remove'), _('Confirm removal'), async () => {
    await api.del('blacklist', { device_id: entry.device_id, vendor: entry.vendor, model: entry.model,
                                 version: entry.version });
    await reload();
  }, { report: status, danger: true });
  const version = h('input', { id: 'blacklist-version', name: 'version', required: true });
  const add = h('button', { type: 'submit', id: 'blacklist-add' }, _('Add to blacklist'));
  const addForm = h('form', {
    class: 'inline', id: 'blacklist-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(add, status, async () => {
        await api.post('blacklist', { device_id: terminal.device_id, vendor: terminal.vendor,
                                      model: terminal.model, version: version.value.trim() });
        await reload();
      });
    },
  }, field(_('Version'), version), add);
  fill(content,
    heading(terminal.device_id + (terminal.name ? ' · ' + terminal.name : ''),
      h('a', { class: 'button', href: route(['terminals'], { vendor: terminal.vendor, model: terminal.model }) },
        _('Terminals of this model'))),
    h('div', { class: 'columns' },
      h('section', { class: 'card' }, h('h2', null, _('Ledger record')), record(terminal)),
      h('section', { class: 'card' }, h('h2', null, _('Version history')), timeline(history))),
    h('section', { class: 'card' }, h('h2', null, _('Reports')),
      reportTable(reports, 'report-table')),
    h('section', { class: 'card' }, h('h2', null, _('Blacklist')),
      h('p', { class: 'hint' }, _('A blacklisted version is never sent to this terminal.')),
      table([
        { title: _('Version'), cell: (entry) => entry.version },
        { title: _('Added'), cell: (entry) => formatTime(entry.added_at) },
        context.canChange ? { title: '', cell: removeButton } : null,
      ].filter(Boolean), blacklist, { id: 'blacklist-table', empty: _('No version is blacklisted') }),
      context.canChange ? addForm : null, status));
}
