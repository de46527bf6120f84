// The console's strings in the operator's language. The catalogues come from po/ (the build turns
// each language's .po into messages.json, po-to-json.py); a string without a translation stays
// English, as gettext does.

const STORAGE_KEY = 'fieldflash-console-language';
// Each language under its own name, for the switch.
const NAMES = { en: 'English', zh_CN: '简体中文' };

let catalogues = { en: {} };
let current = 'en';

export function _(msgid) {
  return catalogues[current]?.[msgid] ?? msgid;
}

// format(_('{count} terminals'), {count: 3}): placeholders in braces, so that a translation may
// put them in its own order.
export function format(text, values) {
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

export function language() {
  return current;
}

// The BCP 47 tag for Intl and <html lang>: zh_CN → zh-CN.
export function languageTag() {
  return current.replace('_', '-');
}

export function languages() {
  return Object.keys(catalogues).sort().map((code) => [code, NAMES[code] ?? code]);
}

// The first of the browser's languages the console has (zh, zh-CN, zh-Hans… → zh_CN), else English.
function fromBrowser() {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const lower = tag.toLowerCase();
    for (const code of Object.keys(catalogues)) {
      const base = code.toLowerCase().replace('_', '-');
      if (lower === base || lower.split('-')[0] === base.split('-')[0])
        return code;
    }
  }
  return 'en';
}

export async function loadLanguages() {
  const response = await fetch('messages.json', { credentials: 'same-origin' });
  if (response.ok)
    catalogues = { en: {}, ...(await response.json()) };
  const chosen = localStorage.getItem(STORAGE_KEY);
  current = chosen && chosen in catalogues ? chosen : fromBrowser();
  document.documentElement.lang = languageTag();
}

export function setLanguage(code) {
  localStorage.setItem(STORAGE_KEY, code);
  current = code in catalogues ? code : 'en';
  document.documentElement.lang = languageTag();
}

export function formatNumber(value) {
  return new Intl.NumberFormat(languageTag()).format(value);
}

// A timestamp from the API (RFC 3339, UTC) in the browser's time zone.
export function formatTime(value) {
  if (!value)
    return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    return String(value);
  return new Intl.DateTimeFormat(languageTag(), { dateStyle: 'medium', timeStyle: 'short' })
    .format(date);
}
