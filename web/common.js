// What both tabs share: talking to the server, its errors in plain words, the files it reads,
// and small helpers.
'use strict';

// Every format the server reads. Browsers draw most of them; for the others (HEIC, TIFF) the
// server makes a preview.
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/heic', 'image/heif',
                               'image/tiff', 'image/gif'];
export const ACCEPTED_NAME = /\.(jpe?g|png|webp|avif|heic|heif|tiff?|gif)$/i;
export const ACCEPT_ATTRIBUTE = [...ACCEPTED_TYPES, '.jpg', '.jpeg', '.png', '.webp', '.avif', '.heic', '.heif', '.tif',
                                 '.tiff', '.gif'].join(',');
export const FORMATS_IN_WORDS = 'JPG, PNG, WebP, HEIC, AVIF, TIFF or GIF';

const MAX_BUSY_RETRIES = 60;

// What the server told us about itself; the defaults hold until /api/system first answers.
export const server = { concurrency: 1, maxUploadBytes: 50 * 1024 * 1024 };

export const $ = (selector, root = document) => root.querySelector(selector);

// An error whose message is meant for the person using the page; `code` is the server's, if any.
export class PlainError extends Error {
  constructor(message, code = undefined) {
    super(message);
    this.code = code;
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function formatBytes(bytes) {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

export function stem(name) {
  return name.replace(/\.[^.]*$/, '') || 'image';
}

export function isAccepted(file) {
  return ACCEPTED_TYPES.includes(file.type) || ACCEPTED_NAME.test(file.name);
}

export function errorText(error) {
  return error instanceof PlainError ? error.message : `Something went wrong: ${error.message}`;
}

// What an error answer of the server means, in words for someone who is not an engineer.
function plainWords(code, message) {
  switch (code) {
    case 'unsupported_format':
      return `This file is not a picture rmbg can open. Use a ${FORMATS_IN_WORDS} photo.`;
    case 'corrupt_image':
      return 'This picture is damaged or incomplete, so it cannot be opened. Try saving it again.';
    case 'image_too_large':
      return 'This picture has too many pixels for this server. Make it smaller and try again.';
    case 'upload_too_large':
      return `This file is too big to send: the limit is ${formatBytes(server.maxUploadBytes)}.`;
    case 'invalid_argument':
      return `The server refused the request: ${message}`;
    case 'no_face':
    case 'several_faces':
    case 'head_cut_off':
    case 'body_cut_off':
    case 'file_size_unreachable':
      return `This photo cannot make an ID photo: ${message}.`;
    default:
      return 'Something went wrong on the server. Try again; if it keeps happening, look at the window where rmbg runs.';
  }
}

// The API key of a server started with --api-key: asked for when the server first refuses a
// request for the want of one, then kept in this browser and sent with every request.
const KEY_STORAGE = 'rmbg-api-key';
let apiKey = localStorage.getItem(KEY_STORAGE) || '';
let keyQuestion = null;  // one question, however many requests were refused at once

function keyHeaders() {
  return apiKey ? { 'X-Api-Key': apiKey } : {};
}

// Asks for the key until one is given; `refusedKey` is the key the server has just refused.
function askForKey(refusedKey) {
  if (keyQuestion) return keyQuestion;
  const dialog = $('#key-dialog');
  $('#key-refused').hidden = !refusedKey;
  $('#key-input').value = '';
  keyQuestion = new Promise((resolve) => {
    $('#key-form').addEventListener('submit', () => {
      apiKey = $('#key-input').value.trim();
      localStorage.setItem(KEY_STORAGE, apiKey);
      keyQuestion = null;
      resolve();
    }, { once: true });
  });
  dialog.oncancel = (event) => event.preventDefault();  // nothing works without the key
  dialog.showModal();
  return keyQuestion;
}

// fetch() with the API key; a refusal for the want of a key asks for one and tries again.
// `ask: false` leaves a refusal to the caller (the meters, which may need the status key instead).
export async function request(url, options = {}, { ask = true } = {}) {
  for (;;) {
    const sentKey = apiKey;
    const response = await fetch(url, { ...options, headers: { ...options.headers, ...keyHeaders() } });
    if (response.status !== 401 || !ask) return response;
    await askForKey(sentKey);
  }
}

function post(url, file, fields, onUploaded, { accept, field = 'image' }) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append(field, file, file.name);
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [name, value] of Object.entries(keyHeaders())) xhr.setRequestHeader(name, value);
    if (accept) xhr.setRequestHeader('Accept', accept);
    xhr.responseType = 'blob';
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onUploaded(event.loaded / event.total);
    };
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new PlainError('Could not reach rmbg. Is it still running?'));
    xhr.send(form);
  });
}

async function errorOf(xhr) {
  try {
    const { error } = JSON.parse(await xhr.response.text());
    return error;
  } catch {
    return { code: 'internal_error', message: `HTTP ${xhr.status}` };
  }
}

// The answer (a Blob) of `url` to `file` (in the form's field `field`, 'image' unless said) with the
// form `fields`. A busy server is waited for, as long as its Retry-After says; `report` hears of
// each phase: ('upload', fraction), ('busy', seconds). `accept` asks for a type of answer.
export async function send(url, file, fields, report = () => {}, { accept = undefined, field = 'image' } = {}) {
  for (let attempt = 0; attempt < MAX_BUSY_RETRIES; attempt++) {
    const sentKey = apiKey;
    const xhr = await post(url, file, fields, (fraction) => report('upload', fraction), { accept, field });
    if (xhr.status >= 200 && xhr.status < 300) return xhr.response;
    if (xhr.status === 401) {
      await askForKey(sentKey);
      attempt--;
      continue;
    }
    const error = await errorOf(xhr);
    if (xhr.status !== 503) throw new PlainError(plainWords(error.code, error.message), error.code);
    const seconds = Number(xhr.getResponseHeader('Retry-After')) || 2;
    report(error.code === 'not_ready' ? 'loading' : 'busy', seconds);
    await sleep(seconds * 1000);
  }
  throw new PlainError('The server stayed busy for too long. Try again in a while.');
}

// The photograph as the browser can draw it, upright: decoded by the browser when it can, else
// (HEIC, TIFF) a preview the server decodes, at the photograph's full size; null when neither can.
export async function drawable(file) {
  try {
    return await createImageBitmap(file);
  } catch {
    try {
      return await createImageBitmap(await send('api/preview', file, {}));
    } catch {
      return null;
    }
  }
}

// True on a device whose pointer is a finger: it has nothing to drag photos from.
export function touchOnly() {
  return window.matchMedia('(hover: none) and (pointer: coarse)').matches;
}
