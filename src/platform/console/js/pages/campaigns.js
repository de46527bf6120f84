// Campaigns: staged rollouts (docs/platform.md, "Campaigns"). The list with each campaign's
// progress; a new campaign from the Terminals page's filter (model, running version or below one)
// or from the selected terminals, with its waves, failure threshold and maintenance window; one
// campaign wave by wave, started, paused, resumed or cancelled here, and why it halted by itself.
// The page asks again every few seconds while a campaign runs.

import * as api from '../api.js';
import { h, fill, route } from '../dom.js';
import { _, format, formatNumber, formatTime } from '../i18n.js';
import * as selection from '../selection.js';
import {
  busy, changeThenReload, confirmButton, field, heading, keepRefreshed, notice, pageStart, pager,
  stateName, table,
} from '../widgets.js';

const REFRESH_SECONDS = 5;
const WAVE_PAGE_SIZE = 100;     // terminals on a page of an unfolded wave
// A terminal's states, in the order of `campaigns show`; the first four are not finished.
const TERMINAL_STATES = ['pending', 'sent', 'downloading', 'installing', 'succeeded', 'failed',
                         'rolled-back', 'offline', 'left-out'];
const FINISHED = new Set(['succeeded', 'failed', 'rolled-back', 'offline', 'left-out']);

// How a campaign reaches a terminal or meter (the link column of campaign_terminals).
function linkName(link) {
  if (link === 'mqtt')
    return _('MQTT');
  if (link === 'coap')
    return _('CoAP (meter)');
  return _('offline (tablet)');
}

function total(counts) {
  return TERMINAL_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}

// "succeeded 3 · failed 1 · pending 6" for the states that have terminals.
function countsText(counts) {
  const parts = TERMINAL_STATES.filter((state) => counts[state] > 0)
    .map((state) => `${stateName(state)} ${formatNumber(counts[state])}`);
  return parts.length > 0 ? parts.join(' · ') : _('no terminal');
}

// A bar split by the terminals' states, with the counts in words beside it.
function progressBar(counts, id) {
  const all = Math.max(1, total(counts));
  return h('div', { class: 'campaign-progress', id },
    h('div', { class: 'stack', role: 'img', 'aria-label': countsText(counts) },
      TERMINAL_STATES.filter((state) => counts[state] > 0).map((state) => h('span', {
        class: 'segment state-' + state, title: `${stateName(state)} ${counts[state]}`,
        dataset: { share: String(counts[state] / all) },
      }))),
    h('span', { class: 'counts' }, countsText(counts)));
}

// The segments' widths come from their data (the page's policy allows no inline style attribute).
function sizeSegments(root) {
  for (const segment of root.querySelectorAll('.campaign-progress .segment'))
    segment.style.width = `${(Number(segment.dataset.share) * 100).toFixed(2)}%`;
}

function threshold(campaign) {
  return campaign.max_failures_percent
    ? format(_('{share} of those finished'), { share: `${campaign.max_failures}%` })
    : format(_('{count} failed'), { count: formatNumber(campaign.max_failures) });
}

// The maintenance window, and when it holds the next wave back.
function windowText(campaign) {
  const window = format(_('{window} UTC'), { window: campaign.window });
  return campaign.next_wave_not_before
    ? `${window} · ${format(_('closed now: the next wave starts no earlier than {time}'),
                           { time: formatTime(campaign.next_wave_not_before) })}`
    : window;
}

function waveText(campaign) {
  return campaign.current_wave === 0
    ? format(_('not started ({waves} waves)'), { waves: campaign.waves })
    : format(_('wave {wave} of {waves}'), { wave: campaign.current_wave, waves: campaign.waves });
}

async function list(content, context) {
  const { campaigns } = await api.get('campaigns');
  if (!context.current())
    return;
  fill(content,
    heading(_('Campaigns'), context.canChange
      ? h('a', { class: 'button primary', href: route(['campaigns', 'new']), id: 'campaign-new' }, _('New campaign'))
      : null),
    h('section', { class: 'card' }, table([
      { title: _('Campaign'), cell: (c) => h('a', { href: route(['campaigns', c.campaign_id]) }, c.campaign_id) },
      { title: _('Campaign name'), cell: (c) => c.name ?? '' },
      { title: _('Firmware'), cell: (c) => c.firmware_version },
      { title: _('State'), cell: (c) => h('span', { class: 'state-' + c.state }, stateName(c.state)) },
      { title: _('Wave'), cell: waveText },
      { title: _('Terminals'), cell: (c) => progressBar(c.terminals) },
      { title: _('Halted because'), cell: (c) => c.halt_reason ?? '' },
      { title: _('Created'), cell: (c) => formatTime(c.created_at) },
    ], campaigns, { id: 'campaign-table', empty: _('No campaign yet') })));
  sizeSegments(content);
}

// "24h", "30m", "90s", "2d" or a number of seconds, as the CLI's --offline-after; NaN otherwise.
function durationSeconds(text) {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match)
    return Number.NaN;
  return Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2]];
}

async function create(content, query, context) {
  const { firmware } = await api.get('firmware');
  if (!context.current())
    return;
  const chosen = selection.all();
  const status = notice();
  const input = (id, props) => h('input', { id: 'campaign-' + id, name: id, ...props });
  // The selection when there is one (as for a dispatch), else the filter.
  const byFilter = h('input', { type: 'radio', name: 'source', value: 'filter', id: 'campaign-by-filter',
                                checked: chosen.length === 0 });
  const bySelection = h('input', { type: 'radio', name: 'source', value: 'selection', id: 'campaign-by-selection',
                                   checked: chosen.length > 0, disabled: chosen.length === 0 });
  // The Terminals page's version filter: equal to (running), below; "at least" has no campaign
  // counterpart and is left out.
  const compare = query.get('compare') || 'equal';
  const vendor = input('vendor', { value: query.get('vendor') ?? '' });
  const model = input('model', { value: query.get('model') ?? '' });
  const running = input('running-version', { value: compare === 'equal' ? query.get('version') ?? '' : '',
                                             placeholder: 'V1.00', size: 8 });
  const below = input('below', { value: compare === 'below' ? query.get('version') ?? '' : '',
                                 placeholder: 'V2.01', size: 8 });
  const versions = [...new Set(firmware.filter((fw) => !fw.withdrawn).map((fw) => fw.version))];
  const target = h('select', { id: 'campaign-firmware', name: 'firmware' },
    versions.map((version) => h('option', { value: version, selected: version === versions.at(-1) }, version)));
  const waves = input('waves', { value: '1%,10%,50%,100%', required: true });
  const maxFailures = input('max-failures', { value: '5%', required: true, size: 6 });
  const windowInput = input('window', { placeholder: '01:00-05:00' });
  const offlineAfter = input('offline-after', { value: '24h', size: 6 });
  const name = input('name', { maxlength: 128 });
  // With no firmware the target list is empty: say why and how to add one rather than offer a
  // campaign that cannot name its firmware.
  const noFirmware = versions.length === 0
    ? h('p', { class: 'hint', id: 'campaign-no-firmware' },
      _('There is no firmware to roll out yet: add it first on the Firmware page or with fieldflash-platform firmware add.'),
      ' ', h('a', { href: route(['firmware']), id: 'campaign-add-firmware' }, _('Add firmware')))
    : null;
  const submit = h('button', { type: 'submit', class: 'primary', id: 'campaign-create', disabled: versions.length === 0 },
    _('Create the campaign'));
  const form = h('form', {
    class: 'card', id: 'campaign-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, status, async () => {
        const seconds = durationSeconds(offlineAfter.value);
        if (Number.isNaN(seconds) || seconds < 1)
          throw new Error(_('The time after which a terminal counts as offline must look like 24h, 30m or 90s'));
        const request = {
          firmware: target.value, waves: waves.value.trim(), max_failures: maxFailures.value.trim(),
          window: windowInput.value.trim() || undefined, offline_after: seconds,
          name: name.value.trim() || undefined,
        };
        if (bySelection.checked) {
          request.terminals = chosen.map((t) => t.device_id);
        } else {
          request.vendor = vendor.value.trim() || undefined;
          request.model = model.value.trim() || undefined;
          request.running_version = running.value.trim() || undefined;
          request.below = below.value.trim() || undefined;
        }
        const answer = await api.post('campaigns', request);
        if (bySelection.checked)
          selection.clear();
        location.hash = route(['campaigns', answer.campaign.campaign_id],
                              answer.excluded.length > 0 ? { excluded: answer.excluded.length } : {});
      });
    },
  },
  h('h2', null, _('Terminals')),
  h('div', { class: 'choices' },
    h('label', { class: 'check' }, byFilter, _('Those that match')),
    h('label', { class: 'check' }, bySelection,
      format(_('The {count} terminals selected on the Terminals page'), { count: formatNumber(chosen.length) }))),
  h('div', { class: 'form-grid', id: 'campaign-filter' },
    field(_('Vendor'), vendor), field(_('Model'), model),
    field(_('Running version'), running), field(_('or running a version below'), below)),
  h('p', { class: 'hint' }, _('The terminals are chosen by the rules of tasks: hardware, blacklist, withdrawn firmware, already current, in another open task or campaign. Networked terminals come first; those without a link become tablet work.')),
  h('h2', null, _('Rollout')),
  noFirmware,
  h('div', { class: 'form-grid' },
    field(_('Target firmware'), target),
    field(_('Waves (share upgraded by the end of each)'), waves),
    field(_('Halt at failures (number or %)'), maxFailures),
    field(_('Maintenance window (UTC, optional)'), windowInput),
    field(_('Offline after no result for'), offlineAfter),
    field(_('Name (optional)'), name)),
  h('div', { class: 'actions' }, submit), status);
  fill(content, heading(_('New campaign')),
    context.canChange ? form : h('p', { class: 'hint' }, _('An auditor cannot create a campaign.')));
}

function actionButtons(campaign, context, reload, status) {
  if (!context.canChange)
    return [];
  const act = (action) => () => changeThenReload(
    () => api.post(`campaigns/${encodeURIComponent(campaign.campaign_id)}/${action}`), reload);
  const button = (action, label, primary) => h('button', {
    id: 'campaign-' + action, class: primary ? 'primary' : null,
    onclick: (event) => busy(event.currentTarget, status, act(action)),
  }, label);
  const open = ['draft', 'running', 'paused'].includes(campaign.state);
  return [
    campaign.state === 'draft' ? button('start', _('Start'), true) : null,
    campaign.state === 'running' ? button('pause', _('Pause')) : null,
    campaign.state === 'paused' ? button('resume', _('Resume'), true) : null,
    open ? confirmButton(_('Cancel the campaign'), _('Confirm cancellation'), act('cancel'),
                         { id: 'campaign-cancel', report: status, danger: true }) : null,
  ];
}

function waveTable(campaign) {
  const rows = campaign.wave_list.map((wave) => ({ ...wave, total: total(wave.terminals) }));
  return table([
    { title: _('Wave'), class: 'number', cell: (w) => String(w.wave) },
    { title: _('Terminals'), class: 'number', cell: (w) => formatNumber(w.total) },
    { title: _('Finished'), class: 'number', cell: (w) => formatNumber(
      [...FINISHED].reduce((sum, state) => sum + (w.terminals[state] ?? 0), 0)) },
    { title: _('Progress'), cell: (w) => progressBar(w.terminals, 'wave-progress-' + w.wave) },
    { title: '', cell: (w) => (w.wave === campaign.current_wave && campaign.state === 'running'
      ? h('span', { class: 'state-running' }, _('current')) : '') },
  ], rows, { id: 'wave-table', rowClass: (w) => (w.wave === campaign.current_wave ? 'current-wave' : null) });
}

// The wave the address unfolds (?wave=N) and the page of it (?after=POSITION&from=N).
function shownWave(query) {
  return Number.parseInt(query.get('wave') ?? '0', 10) || 0;
}

// The terminals of each wave, folded: a large campaign holds many. The one the address unfolds
// shows @page (a page of campaigns/ID/terminals) with a pager; unfolding another goes to its
// first page, so the address (and the page's refresh) keeps which wave and page are shown.
function terminalLists(campaign, query, page) {
  const unfolded = shownWave(query);
  const first = pageStart(query);
  const go = (values) => {
    location.hash = route(['campaigns', campaign.campaign_id], values);
  };
  return campaign.wave_list.map((wave) => {
    const open = wave.wave === unfolded && page !== null;
    const details = h('details', { class: 'wave-terminals', id: 'wave-terminals-' + wave.wave, open },
      h('summary', null, format(_('Wave {wave}: {count} terminals'),
                                { wave: wave.wave, count: formatNumber(total(wave.terminals)) })),
      open ? [
        table([
          { title: '#', class: 'number', cell: (t) => String(t.position) },
          { title: _('Device ID'), cell: (t) => h('a', { href: route(['terminal', t.device_id]) }, t.device_id) },
          { title: _('Link'), cell: (t) => linkName(t.link) },
          { title: _('State'), cell: (t) => stateName(t.state) },
          { title: _('Step'), cell: (t) => t.step ?? '' },
          { title: _('Reason'), cell: (t) => t.reason ?? '' },
          { title: _('Command or task'), cell: (t) => (t.task_id
            ? h('a', { href: route(['tasks', t.task_id]) }, t.task_id) : t.command_id ?? '') },
          { title: _('Updated'), cell: (t) => formatTime(t.updated_at) },
        ], page.terminals, { id: 'wave-terminal-table' }),
        pager(first, page.terminals.length, page.total, page.next_after !== null && (() => go({
          wave: wave.wave, after: page.next_after, from: first + page.terminals.length,
        }))),
      ] : null);
    // Drawn open or folded as the address says, the toggle of that drawing changes nothing.
    details.addEventListener('toggle', () => {
      if (details.open !== open)
        go(details.open ? { wave: wave.wave } : {});
    });
    return details;
  });
}

// @refusal: why the change this page asked for was refused, shown over the campaign as it is.
async function one(content, campaignId, query, context, refusal) {
  const path = 'campaigns/' + encodeURIComponent(campaignId);
  const wave = shownWave(query);
  const [campaign, page] = await Promise.all([
    api.get(path),
    wave > 0 ? api.get(path + '/terminals', { wave, after: query.get('after'), limit: WAVE_PAGE_SIZE })
      : null,
  ]);
  if (!context.current())
    return;
  const status = notice();
  // A refresh keeps the unfolded wave and its page.
  const kept = new URLSearchParams([...query].filter(([name]) => ['wave', 'after', 'from'].includes(name)));
  const reload = (why) => one(content, campaignId, kept, context, why);
  status.id = 'campaign-status';
  if (refusal)
    status.error(refusal);
  const excluded = Number(query.get('excluded') ?? 0);
  fill(content,
    heading(format(_('Campaign {id}'), { id: campaign.campaign_id }) + (campaign.name ? ` · ${campaign.name}` : ''),
      actionButtons(campaign, context, reload, status)),
    status,
    campaign.halt_reason
      ? h('p', { class: 'card halted', role: 'alert', id: 'campaign-halt' },
        h('strong', null, _('Halted: ')), campaign.halt_reason, ' ',
        // A halted campaign cancelled keeps its reason; only a paused one waits for an operator.
        campaign.state === 'paused'
          ? h('span', { class: 'hint' }, _('Nothing more is sent until an operator resumes or cancels it.'))
          : null)
      : null,
    excluded > 0 ? h('p', { class: 'hint', id: 'campaign-excluded' }, format(
      _('{count} terminals of the selection were left out by the rules (campaigns create on the command line lists them).'),
      { count: formatNumber(excluded) })) : null,
    h('section', { class: 'card' },
      h('dl', { class: 'record', id: 'campaign-record' },
        h('dt', null, _('State')), h('dd', { id: 'campaign-state' }, stateName(campaign.state)),
        h('dt', null, _('Firmware')), h('dd', null, campaign.firmware_version),
        h('dt', null, _('Wave')), h('dd', { id: 'campaign-wave' }, waveText(campaign)),
        h('dt', null, _('Halt at')), h('dd', { id: 'campaign-threshold' }, threshold(campaign)),
        campaign.window
          ? [h('dt', null, _('Maintenance window')), h('dd', { id: 'campaign-window' }, windowText(campaign))]
          : null,
        h('dt', null, _('Created')), h('dd', null, formatTime(campaign.created_at)),
        campaign.started_at ? [h('dt', null, _('Started')), h('dd', null, formatTime(campaign.started_at))] : null,
        campaign.finished_at ? [h('dt', null, _('Finished')), h('dd', null, formatTime(campaign.finished_at))] : null,
        h('dt', null, _('Terminals')), h('dd', null, progressBar(campaign.terminals, 'campaign-progress')))),
    h('section', { class: 'card' }, h('h2', null, _('Waves')), waveTable(campaign), terminalLists(campaign, query, page)));
  sizeSegments(content);
  keepRefreshed(campaign.state === 'running', context, REFRESH_SECONDS, reload, status);
}

export async function render(content, parts, query, context) {
  fill(content, heading(_('Campaigns')), h('p', { class: 'loading' }, _('Loading…')));
  if (parts[0] === 'new')
    await create(content, query, context);
  else if (parts.length > 0)
    await one(content, parts[0], query, context);
  else
    await list(content, context);
}
