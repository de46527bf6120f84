// The terminals the operator chose on the Terminals page, for a dispatch: kept in the tab's
// session storage so that it survives moving between pages and a reload.

const KEY = 'fieldflash-console-selection';
const listeners = new Set();

function load() {
  try {
    return new Map(JSON.parse(sessionStorage.getItem(KEY) ?? '[]'));
  } catch {
    return new Map();
  }
}

const chosen = load();

function changed() {
  sessionStorage.setItem(KEY, JSON.stringify([...chosen]));
  for (const listener of listeners)
    listener();
}

export function has(deviceId) {
  return chosen.has(deviceId);
}

export function toggle(terminal, on = !chosen.has(terminal.device_id)) {
  if (on)
    chosen.set(terminal.device_id, terminal);
  else
    chosen.delete(terminal.device_id);
  changed();
}

export function setMany(terminals, on) {
  for (const terminal of terminals) {
    if (on)
      chosen.set(terminal.device_id, terminal);
    else
      chosen.delete(terminal.device_id);
  }
  changed();
}

export function clear() {
  chosen.clear();
  changed();
}

export function all() {
  return [...chosen.values()];
}

export function size() {
  return chosen.size;
}

// @listener is called after each change, until the page that asked is left (forgetListeners).
export function watch(listener) {
  listeners.add(listener);
}

export function forgetListeners() {
  listeners.clear();
}
