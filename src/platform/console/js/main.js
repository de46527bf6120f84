// The console's shell: language, login, the navigation and the page the address names
// (#/page/part?query); each page is a module of its own under pages/.

import * as api from './api.js';
import { h, fill } from './dom.js';
import { _, languages, language, loadLanguages, setLanguage } from './i18n.js';
import { roleName } from './widgets.js';
import * as selection from './selection.js';
import * as fleet from './pages/fleet.js';
import * as terminals from './pages/terminals.js';
import * as terminal from './pages/terminal.js';
import * as firmware from './pages/firmware.js';
import * as dispatch from './pages/dispatch.js';
import * as tasks from './pages/tasks.js';
import * as campaigns from './pages/campaigns.js';
import * as inventory from './pages/inventory.js';
import * as audit from './pages/audit.js';

// The navigation, in order; title() is called at each render, for the current language.
const PAGES = [
  { name: 'fleet', module: fleet, title: () => _('Fleet') },
  { name: 'terminals', module: terminals, title: () => _('Terminals') },
  { name: 'terminal', module: terminal, hidden: true },
  { name: 'firmware', module: firmware, title: () => _('Firmware') },
  { name: 'dispatch', module: dispatch, title: () => _('Dispatch') },
  { name: 'tasks', module: tasks, title: () => _('Tasks') },
  { name: 'campaigns', module: campaigns, title: () => _('Campaigns') },
  { name: 'inventory', module: inventory, title: () => _('Tablets and technicians') },
  { name: 'audit', module: audit, title: () => _('Audit log') },
];

const app = document.getElementById('app');
let session = null;             // {name, role, csrf_token, …} as the API's session answers
// Set while this browser holds a session cookie (which scripts cannot see: it is HttpOnly), so
// that a fresh browser shows the login page without asking for a session it cannot have.
const SESSION_HINT = 'fieldflash-console-session';
let generation = 0;             // a page that finishes loading after another was chosen is dropped

function parseLocation() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter((part) => part !== '').map(decodeURIComponent);
  return { parts, query: new URLSearchParams(query ?? '') };
}

function languageSwitch() {
  return h('select', {
    class: 'language', 'aria-label': _('Language'), id: 'language',
    onchange: (event) => {
      setLanguage(event.target.value);
      show();
    },
  }, languages().map(([code, name]) => h('option', { value: code, selected: code === language() }, name)));
}

function showLogin(message) {
  session = null;
  localStorage.removeItem(SESSION_HINT);
  document.title = _('Fieldflash console');
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' }, message ?? '');
  const name = h('input', { id: 'login-name', name: 'name', autocomplete: 'username', required: true });
  const password = h('input', {
    id: 'login-password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true,
  });
  const submit = h('button', { type: 'submit', id: 'login-submit', class: 'primary' }, _('Log in'));
  const form = h('form', {
    class: 'login-form',
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      fill(error);
      try {
        startSession(await api.post('login', { name: name.value, password: password.value }));
        show();
      } catch (failure) {
        fill(error, failure.message);
        submit.disabled = false;
        password.select();
      }
    },
  },
  h('h1', null, _('Fieldflash console')),
  h('label', { for: 'login-name' }, _('Operator name')), name,
  h('label', { for: 'login-password' }, _('Password')), password,
  submit, error, languageSwitch());
  fill(app, h('main', { class: 'login' }, form));
  name.focus();
}

function startSession(answer) {
  session = answer;
  localStorage.setItem(SESSION_HINT, '1');
  api.setCsrfToken(answer.csrf_token);
}

async function logout() {
  try {
    await api.post('logout');
  } catch {
    // the session is gone either way
  }
  showLogin();
}

function navigation(current) {
  return h('nav', { class: 'sidebar' },
    h('div', { class: 'brand' }, _('Fieldflash')),
    h('ul', null, PAGES.filter((page) => !page.hidden).map((page) =>
      h('li', null, h('a', {
        href: '#/' + page.name, id: 'nav-' + page.name,
        class: page.name === current ? 'current' : null,
      }, page.title())))),
    h('div', { class: 'who' },
      h('span', { id: 'operator-name' }, session.name),
      h('span', { class: 'role', id: 'operator-role' }, roleName(session.role)),
      languageSwitch(),
      h('button', { id: 'logout', onclick: logout }, _('Log out'))));
}

function show() {
  if (session === null) {
    showLogin();
    return;
  }
  const { parts, query } = parseLocation();
  selection.forgetListeners();
  const page = PAGES.find((candidate) => candidate.name === parts[0]) ?? PAGES[0];
  const content = h('main', { class: 'content', id: 'page-' + page.name });
  fill(app, navigation(page.hidden ? 'terminals' : page.name), content);
  document.title = (page.title ? page.title() + ' · ' : '') + _('Fieldflash console');
  const mine = ++generation;
  const context = {
    // Auditors read everything and change nothing: the pages leave out every change button.
    canChange: session.role !== 'auditor',
    role: session.role,
    current: () => mine === generation,
  };
  page.module.render(content, parts.slice(1), query, context).catch((failure) => {
    if (mine === generation && !(failure instanceof api.ApiError && failure.status === 401))
      fill(content, h('p', { class: 'error', role: 'alert' }, failure.message));
  });
}

async function start() {
  await loadLanguages();
  api.whenSessionLost(() => showLogin(_('The session has ended; log in again')));
  if (localStorage.getItem(SESSION_HINT)) {
    try {
      startSession(await api.get('session'));
    } catch {
      session = null;
    }
  }
  window.addEventListener('hashchange', show);
  show();
}

start();
