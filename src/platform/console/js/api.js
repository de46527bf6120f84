// The console's JSON API (docs/api.md, "Console API (operators)"): the session cookie goes with
// every request, and every request that changes something carries the session's CSRF token.

import { _ } from './i18n.js';

const BASE = '/console/api/';
const CSRF_HEADER = 'X-CSRF-Token';

let csrfToken = null;
let onSessionLost = () => {};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setCsrfToken(token) {
  csrfToken = token;
}

// Called with no arguments when the server no longer knows the session (401): the console shows
// its login page again.
export function whenSessionLost(callback) {
  onSessionLost = callback;
}

async function errorOf(response) {
  let message = null;
  try {
    message = (await response.json()).error;
  } catch {
    // not JSON: the status says enough
  }
  return new ApiError(response.status,
                      message || _('The platform answered with an error') + ` (${response.status})`);
}

export function url(path, query) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {}))
    if (value !== '' && value !== null && value !== undefined)
      search.set(name, value);
  const text = search.toString();
  return BASE + path + (text ? '?' + text : '');
}

export async function request(method, path, { query, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && csrfToken)
    headers[CSRF_HEADER] = csrfToken;
  if (body !== undefined)
    headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url(path, query), {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, _('The platform cannot be reached'));
  }
  if (response.status === 401 && path !== 'login') {
    onSessionLost();
    throw await errorOf(response);
  }
  if (!response.ok)
    throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, body, query) => request('POST', path, { body: body ?? {}, query });
export const del = (path, query) => request('DELETE', path, { query });

// Uploads @file as the request's body with XMLHttpRequest, whose upload events tell progress
// (fetch has none); @progress gets the fraction sent, 0 to 1.
export function upload(path, query, file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url(path, query));
    xhr.setRequestHeader(CSRF_HEADER, csrfToken ?? '');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable)
        progress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300)
        resolve(xhr.response);
      else
        reject(new ApiError(xhr.status, xhr.response?.error
                            || _('The platform answered with an error') + ` (${xhr.status})`));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, _('The platform cannot be reached'))));
    xhr.send(file);
  });
}
