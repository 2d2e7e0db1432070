// The rmbg page: photos dropped or picked are sent to POST /remove-bg one after another as soon
// as they arrive; each gets a card with its progress, then the original and the cut-out side by
// side, background previews and downloads. The "ID photo" tab sends one portrait to
// POST /api/idphoto with the size and colour chosen, and shows the photo and its print sheet.
// Plain JavaScript, no build step, nothing from outside.
'use strict';

const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const ACCEPTED_NAME = /\.(jpe?g|png|webp)$/i;
const BACKGROUNDS = [
  { id: 'transparent', label: 'Transparent' },
  { id: 'white', label: 'White', colour: '#ffffff' },
  { id: 'blue', label: 'Blue', colour: '#438edb' },
  { id: 'red', label: 'Red', colour: '#ff0000' },
];
const MAX_BUSY_RETRIES = 60;
const SYSTEM_POLL_MS = 2000;

// What the server told us about itself; the defaults hold until /api/system first answers.
const server = { concurrency: 1, maxUploadBytes: 50 * 1024 * 1024 };
const items = [];
let inFlight = 0;

const $ = (selector, root = document) => root.querySelector(selector);

// An error whose message is meant for the person using the page.
class PlainError extends Error {}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function formatBytes(bytes) {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function stem(name) {
  return name.replace(/\.[^.]*$/, '') || 'image';
}

// ---- talking to the server ------------------------------------------------------------------

// What an error answer of /remove-bg means, in words for someone who is not an engineer.
function plainWords(code, message) {
  switch (code) {
    case 'unsupported_format':
      return 'This file is not a picture rmbg can open. Use a JPG, PNG or WebP photo.';
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

function post(url, file, fields, onUploaded, accept) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('image', file, file.name);
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
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

// The answer (a Blob) of `url` to `file` with the form `fields`. A busy server is waited for, as
// long as its Retry-After says; `report` hears of each phase: ('upload', fraction), ('busy', seconds).
async function send(url, file, fields, report, accept) {
  for (let attempt = 0; attempt < MAX_BUSY_RETRIES; attempt++) {
    const xhr = await post(url, file, fields, (fraction) => report('upload', fraction), accept);
    if (xhr.status === 200) return xhr.response;
    const error = await errorOf(xhr);
    if (xhr.status !== 503) throw new PlainError(plainWords(error.code, error.message));
    const seconds = Number(xhr.getResponseHeader('Retry-After')) || 2;
    report(error.code === 'not_ready' ? 'loading' : 'busy', seconds);
    await sleep(seconds * 1000);
  }
  throw new PlainError('The server stayed busy for too long. Try again in a while.');
}

// The cut-out (a Blob) of `file` with the form `fields`.
function removeBackground(file, fields = {}, report = () => {}) {
  return send('/remove-bg', file, fields, report);
}

// ---- downloads --------------------------------------------------------------------------------

function saveBlob(blob, name) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// A ZIP archive of `files` ({name, bytes}), stored without compression: PNGs are compressed
// already, and this keeps the writer small enough to check by eye.
function zipArchive(files) {
  const encoder = new TextEncoder();
  const now = new Date();
  const dosTime = (now.getHours() << 11) | (now.getMinutes() << 5) | (now.getSeconds() >> 1);
  const dosDate = ((now.getFullYear() - 1980) << 9) | ((now.getMonth() + 1) << 5) | now.getDate();
  const parts = [];
  const directory = [];
  let offset = 0;
  for (const file of files) {
    const name = encoder.encode(file.name);
    const crc = crc32(file.bytes);
    const size = file.bytes.length;
    // Fields shared by the local header and the directory entry: version 2.0, UTF-8 names.
    const common = [[20, 2], [0x0800, 2], [0, 2], [dosTime, 2], [dosDate, 2], [crc, 4], [size, 4], [size, 4],
                    [name.length, 2], [0, 2]];
    const local = littleEndian([[0x04034b50, 4], ...common]);
    parts.push(local, name, file.bytes);
    directory.push(littleEndian([[0x02014b50, 4], [20, 2], ...common, [0, 2], [0, 2], [0, 2], [0, 4], [offset, 4]]), name);
    offset += local.length + name.length + size;
  }
  const directorySize = directory.reduce((sum, part) => sum + part.length, 0);
  const end = littleEndian([[0x06054b50, 4], [0, 2], [0, 2], [files.length, 2], [files.length, 2],
                            [directorySize, 4], [offset, 4], [0, 2]]);
  return new Blob([...parts, ...directory, end], { type: 'application/zip' });
}

function littleEndian(fields) {
  const bytes = new Uint8Array(fields.reduce((sum, [, width]) => sum + width, 0));
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const [value, width] of fields) {
    if (width === 2) view.setUint16(at, value, true);
    else view.setUint32(at, value, true);
    at += width;
  }
  return bytes;
}

async function downloadAll() {
  const done = items.filter((item) => item.state === 'done');
  const used = new Map();
  const files = await Promise.all(done.map(async (item) => {
    const base = `${stem(item.file.name)}-cutout`;
    const count = (used.get(base) || 0) + 1;
    used.set(base, count);
    const name = count === 1 ? `${base}.png` : `${base}-${count}.png`;
    return { name, bytes: new Uint8Array(await item.cutout.arrayBuffer()) };
  }));
  saveBlob(zipArchive(files), 'rmbg-cutouts.zip');
}

// ---- one card per file ------------------------------------------------------------------------

function addFiles(fileList) {
  const files = Array.from(fileList);
  if (files.length === 0) return;
  for (const file of files) {
    const item = { file, state: 'waiting', cutout: null, extras: new Map(), card: makeCard(file) };
    items.push(item);
    $('#results').append(item.card.root);
    const problem = checkFile(file);
    if (problem) fail(item, problem);
    else setStatus(item, 'Waiting for its turn…');
  }
  updateBatch();
  pump();
}

function checkFile(file) {
  if (!ACCEPTED_TYPES.includes(file.type) && !ACCEPTED_NAME.test(file.name))
    return 'This is not a JPG, PNG or WebP picture, so rmbg cannot use it.';
  if (file.size > server.maxUploadBytes)
    return `This file is too big to send (${formatBytes(file.size)}): the limit is ${formatBytes(server.maxUploadBytes)}.`;
  return null;
}

function makeCard(file) {
  const root = $('#result-template').content.firstElementChild.cloneNode(true);
  const card = {
    root,
    status: $('.result-status', root),
    progress: $('.result-progress', root),
    stage: $('.stage', root),
    original: $('.original', root),
    cutout: $('.cutout', root),
    split: $('.split', root),
    backgrounds: $('.backgrounds', root),
    png: $('.download-png', root),
    alpha: $('.download-alpha', root),
  };
  $('.result-name', root).textContent = file.name;
  $('.result-name', root).title = `${file.name} · ${formatBytes(file.size)}`;
  card.original.alt = `${file.name}, original`;
  card.cutout.alt = `${file.name}, background removed`;
  // The preview shows once the browser can draw the photo: a file that is no picture shows none.
  card.original.addEventListener('load', () => {
    card.stage.style.setProperty('--ratio', `${card.original.naturalWidth} / ${card.original.naturalHeight}`);
    root.classList.add('previewable');
  }, { once: true });
  card.original.src = URL.createObjectURL(file);
  card.progress.value = 0;
  card.split.addEventListener('input', () => card.stage.style.setProperty('--split', `${card.split.value}%`));
  return card;
}

function setStatus(item, text) {
  item.card.status.textContent = text;
}

function fail(item, message) {
  item.state = 'failed';
  item.card.root.classList.add('failed');
  item.card.progress.hidden = true;
  setStatus(item, message);
}

function pump() {
  while (inFlight < server.concurrency) {
    const next = items.find((item) => item.state === 'waiting');
    if (!next) return;
    cutOut(next);
  }
}

async function cutOut(item) {
  inFlight++;
  item.state = 'working';
  item.card.root.classList.add('working');
  const started = performance.now();
  const { progress } = item.card;
  try {
    item.cutout = await removeBackground(item.file, {}, (phase, value) => {
      if (phase === 'upload') {
        progress.value = value;
        setStatus(item, value < 1 ? `Uploading ${Math.round(value * 100)}%` : 'Removing the background…');
        if (value >= 1) progress.removeAttribute('value');
      } else {
        setStatus(item, phase === 'loading' ? 'Waiting for the model to load…'
                                            : `The server is busy; trying again in ${value} s…`);
      }
    });
    showResult(item, (performance.now() - started) / 1000);
  } catch (error) {
    fail(item, error instanceof PlainError ? error.message : `Something went wrong: ${error.message}`);
  } finally {
    item.card.root.classList.remove('working');
    inFlight--;
    updateBatch();
    pump();
  }
}

function showResult(item, seconds) {
  const { card } = item;
  item.state = 'done';
  card.root.classList.add('done');
  card.progress.hidden = true;
  card.cutout.src = URL.createObjectURL(item.cutout);
  card.split.disabled = false;
  setStatus(item, `Done in ${seconds.toFixed(1)} s`);
  addBackgroundChoices(item);
  card.png.addEventListener('click', () => downloadPng(item));
  card.alpha.addEventListener('click', () => download(item, card.alpha, { type: 'mask' }, 'alpha'));
}

function addBackgroundChoices(item) {
  const { card } = item;
  const group = `background-${items.indexOf(item)}`;
  const choose = (colour) => {
    item.background = colour;
    card.stage.classList.toggle('transparent', !colour);
    card.stage.style.setProperty('--background', colour || 'transparent');
  };
  const option = (label, input) => {
    const wrapper = document.createElement('label');
    wrapper.className = 'choice';
    input.name = group;
    wrapper.append(input, document.createTextNode(label));
    card.backgrounds.append(wrapper);
    return input;
  };
  for (const background of BACKGROUNDS) {
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.value = background.id;
    radio.checked = !background.colour;
    if (background.colour) radio.style.setProperty('--swatch', background.colour);
    radio.addEventListener('change', () => choose(background.colour));
    option(background.label, radio);
  }
  // A custom colour: a radio that takes the colour of the picker beside it.
  const custom = document.createElement('input');
  custom.type = 'radio';
  custom.value = 'custom';
  const picker = document.createElement('input');
  picker.type = 'color';
  picker.value = '#2e8b57';
  picker.setAttribute('aria-label', 'Custom background colour');
  custom.addEventListener('change', () => choose(picker.value));
  picker.addEventListener('input', () => {
    custom.checked = true;
    choose(picker.value);
  });
  option('Custom', custom).parentElement.append(picker);
  choose(null);
}

// "Download PNG" saves what the preview shows: the transparent cut-out, or the cut-out on the
// chosen colour, which the server renders with the photograph's metadata kept.
function downloadPng(item) {
  if (!item.background) {
    saveBlob(item.cutout, `${stem(item.file.name)}-cutout.png`);
    return;
  }
  download(item, item.card.png, { bg: item.background }, item.background.slice(1));
}

// Fetches a variant of the result (the alpha, a filled background) once, then saves it.
async function download(item, button, fields, suffix) {
  const key = JSON.stringify(fields);
  if (!item.extras.has(key)) item.extras.set(key, removeBackground(item.file, fields));
  const label = button.textContent;
  button.disabled = true;
  button.textContent = 'Preparing…';
  try {
    saveBlob(await item.extras.get(key), `${stem(item.file.name)}-${suffix}.png`);
  } catch (error) {
    item.extras.delete(key);
    setStatus(item, error instanceof PlainError ? error.message : `Something went wrong: ${error.message}`);
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

function updateBatch() {
  const done = items.filter((item) => item.state === 'done').length;
  const failed = items.filter((item) => item.state === 'failed').length;
  const batch = items.length > 1;
  $('#batch').hidden = !batch;
  document.body.classList.toggle('has-results', items.length > 0);
  if (!batch) return;
  const parts = [`${done} of ${items.length} done`];
  if (failed) parts.push(`${failed} could not be processed`);
  $('#batch-summary').textContent = parts.join(' · ');
  $('#download-all').disabled = done === 0;
}

// ---- live use of the machine ------------------------------------------------------------------

function showMeter(name, percent, detail, absentText = 'none') {
  $(`#${name}-meter`).classList.toggle('absent', percent == null);
  $(`#${name}-value`).textContent = percent == null ? absentText : `${Math.round(percent)}%`;
  $(`#${name}-bar`).style.width = `${percent == null ? 0 : Math.min(100, percent)}%`;
  $(`#${name}-meter`).title = detail;
}

async function pollSystem() {
  if (document.visibilityState === 'visible') {
    try {
      const system = await (await fetch('/api/system', { cache: 'no-store' })).json();
      server.concurrency = Math.max(1, system.queue.concurrency);
      server.maxUploadBytes = system.limits.max_upload_bytes;
      showMeter('cpu', system.cpu.machine_percent,
                `Whole machine: ${Math.round(system.cpu.machine_percent)}% of ${system.cpu.cores} cores · ` +
                `rmbg: ${Math.round(system.cpu.process_percent)}%, ${formatBytes(system.memory.process_rss_bytes)} of memory`);
      if (system.gpu) showMeter('gpu', system.gpu.percent, system.gpu.description, 'in use');
      else showMeter('gpu', null, `No GPU in use: the model runs on the CPU (${system.model.name})`);
      const notice = $('#notice');
      notice.hidden = system.model.ready;
      notice.textContent = system.model.ready ? '' : 'Loading the model… photos you add now start as soon as it is ready.';
      pump();
    } catch {
      showMeter('cpu', null, 'rmbg does not answer', 'offline');
    }
  }
  setTimeout(pollSystem, SYSTEM_POLL_MS);
}

// ---- ID photos --------------------------------------------------------------------------------

const idPhoto = { file: null, photo: null, sheet: null, sizes: [], run: 0 };
const ID_BACKGROUNDS = BACKGROUNDS.filter((background) => background.colour);

function idOptions() {
  const background = $('#id-background input:checked');
  const fields = { size: $('#id-size').value, bg: background.value === 'custom' ? $('#id-colour').value : background.value };
  if ($('#id-layout').value) fields.layout = $('#id-layout').value;
  if ($('#id-kb').value) fields.kb = $('#id-kb').value;
  return fields;
}

function base64Blob(base64, type) {
  return new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type });
}

function setIdStatus(text, failed = false) {
  $('#id-status').textContent = text;
  $('#id-status').classList.toggle('failed', failed);
}

function describeRule() {
  const size = idPhoto.sizes.find((s) => s.name === $('#id-size').value);
  if (!size) return;
  const range = (r) => `${r.min}–${r.max} mm`;
  const place = size.top_margin_mm ? `crown ${range(size.top_margin_mm)} below the top`
                                   : `eyes ${range(size.eye_line_mm)} above the bottom`;
  $('#id-rule').textContent = `${size.width_px}×${size.height_px} px at 300 DPI · head ${range(size.head_height_mm)} · ${place} · ${size.source}`;
}

// Sends the portrait with the options chosen; a newer run makes an older answer stale.
async function makeIdPhoto() {
  if (!idPhoto.file || !$('#id-size').value) return;
  const run = ++idPhoto.run;
  const started = performance.now();
  setIdStatus('Uploading…');
  $('#panel-idphoto').classList.add('working');
  try {
    const answer = await send('/api/idphoto', idPhoto.file, idOptions(), (phase, value) => {
      if (phase === 'upload') setIdStatus(value < 1 ? `Uploading ${Math.round(value * 100)}%` : 'Making the ID photo…');
      else setIdStatus(phase === 'loading' ? 'Waiting for the model to load…' : `The server is busy; trying again in ${value} s…`);
    }, 'application/json');
    if (run !== idPhoto.run) return;
    showIdPhoto(JSON.parse(await answer.text()), (performance.now() - started) / 1000);
  } catch (error) {
    if (run !== idPhoto.run) return;
    $('#id-result').hidden = true;
    setIdStatus(error instanceof PlainError ? error.message : `Something went wrong: ${error.message}`, true);
  } finally {
    if (run === idPhoto.run) $('#panel-idphoto').classList.remove('working');
  }
}

function showIdPhoto(answer, seconds) {
  const { photo, sheet, placement, size } = answer;
  idPhoto.photo = base64Blob(photo.base64, photo.media_type);
  idPhoto.sheet = sheet ? base64Blob(sheet.base64, sheet.media_type) : null;
  idPhoto.name = `${stem(idPhoto.file.name)}-${size.name}`;
  $('#id-photo').src = URL.createObjectURL(idPhoto.photo);
  // Said the way the size's rule says it; custom sizes have a rule for the crown.
  const rule = idPhoto.sizes.find((s) => s.name === size.name);
  const where = rule && !rule.top_margin_mm ? `eyes ${placement.eye_line_mm.toFixed(1)} mm above the bottom`
                                            : `crown ${placement.top_margin_mm.toFixed(1)} mm below the top`;
  $('#id-photo-caption').textContent = `${size.title}: ${photo.width}×${photo.height} px at ${size.dpi} DPI, ` +
    `${formatBytes(photo.bytes)}${photo.quality ? ` (JPEG quality ${photo.quality})` : ''} · ` +
    `head ${placement.head_height_mm.toFixed(1)} mm, ${where}`;
  $('#id-result').classList.toggle('with-sheet', Boolean(sheet));
  if (sheet) {
    $('#id-sheet-image').src = URL.createObjectURL(idPhoto.sheet);
    $('#id-sheet-caption').textContent = `${sheet.copies} copies on a ${sheet.title} sheet`;
  }
  $('#id-result').hidden = false;
  const soft = placement.enlargement > 1.5 ? ' The face is small in this photo, so the result is enlarged and looks soft.' : '';
  const continued = placement.continued_mm > 0
    ? ` The portrait stops short of this photo's edge, so the clothing was continued ${placement.continued_mm.toFixed(1)} mm.` : '';
  setIdStatus(`Done in ${seconds.toFixed(1)} s.${soft}${continued}`);
}

function setIdFile(file) {
  if (!file) return;
  if (!ACCEPTED_TYPES.includes(file.type) && !ACCEPTED_NAME.test(file.name)) {
    setIdStatus('This is not a JPG, PNG or WebP picture, so rmbg cannot use it.', true);
    return;
  }
  idPhoto.file = file;
  makeIdPhoto();
}

async function setUpIdPhoto() {
  const backgrounds = $('#id-background');
  for (const background of ID_BACKGROUNDS) {
    const label = document.createElement('label');
    label.className = 'choice';
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = 'id-background';
    radio.value = background.id;
    radio.checked = background.id === 'white';
    radio.style.setProperty('--swatch', background.colour);
    label.append(radio, document.createTextNode(background.label));
    backgrounds.append(label);
  }
  const custom = document.createElement('label');
  custom.className = 'choice';
  custom.innerHTML = '<input type="radio" name="id-background" value="custom">Custom ' +
    '<input type="color" id="id-colour" value="#e8e8e8" aria-label="Custom background colour">';
  backgrounds.append(custom);
  $('#id-colour').addEventListener('input', () => { $('input[value="custom"]', custom).checked = true; });

  pickFilesThrough($('#id-drop'), $('#id-picker'), (files) => setIdFile(files[0]));
  $('#id-options').addEventListener('change', () => {
    describeRule();
    makeIdPhoto();
  });
  $('#id-options').addEventListener('submit', (event) => event.preventDefault());
  const extension = (blob) => (blob.type === 'image/png' ? 'png' : 'jpg');
  $('#id-download-photo').addEventListener('click', () => saveBlob(idPhoto.photo, `${idPhoto.name}.${extension(idPhoto.photo)}`));
  $('#id-download-sheet').addEventListener('click', () => saveBlob(idPhoto.sheet, `${idPhoto.name}-sheet.${extension(idPhoto.sheet)}`));

  const { sizes, sheets } = await (await fetch('/api/idphoto/sizes')).json();
  idPhoto.sizes = sizes;
  for (const size of sizes) $('#id-size').append(new Option(`${size.title} (${size.width_mm.toFixed(size.width_mm % 1 ? 1 : 0)}×${size.height_mm.toFixed(size.height_mm % 1 ? 1 : 0)} mm)`, size.name));
  $('#id-layout').append(new Option('None', ''));
  for (const sheet of sheets) $('#id-layout').append(new Option(sheet.title, sheet.name));
  $('#id-layout').value = sheets[0].name;
  describeRule();
  makeIdPhoto();
}

function idPhotoShown() {
  return !$('#panel-idphoto').hidden;
}

function setUpTabs() {
  const tabs = [$('#tab-remove'), $('#tab-idphoto')];
  const show = (chosen) => {
    for (const tab of tabs) {
      const selected = tab === chosen;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      $(`#${tab.getAttribute('aria-controls')}`).hidden = !selected;
    }
  };
  for (const tab of tabs) {
    tab.addEventListener('click', () => show(tab));
    tab.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
      const next = tabs[(tabs.indexOf(tab) + 1) % tabs.length];
      show(next);
      next.focus();
    });
  }
}

// ---- ways in: drop, picker, keyboard, paste ---------------------------------------------------

// A drop zone that opens the file picker on a click, Enter or Space; `onFiles` gets what is picked.
function pickFilesThrough(drop, picker, onFiles) {
  drop.addEventListener('click', () => picker.click());
  drop.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      picker.click();
    }
  });
  picker.addEventListener('change', () => {
    onFiles(picker.files);
    picker.value = '';
  });
}

function setUpInput() {
  const drop = $('#drop');
  pickFilesThrough(drop, $('#picker'), addFiles);
  // The whole window takes drops, so a photo dropped beside the zone is not opened by the browser.
  let depth = 0;
  // Files go to the tab that is shown.
  const zone = () => (idPhotoShown() ? $('#id-drop') : drop);
  const take = (files) => (idPhotoShown() ? setIdFile(files[0]) : addFiles(files));
  window.addEventListener('dragenter', (event) => {
    event.preventDefault();
    if (depth++ === 0) zone().classList.add('dragging');
  });
  window.addEventListener('dragleave', () => {
    if (--depth === 0) zone().classList.remove('dragging');
  });
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    zone().classList.remove('dragging');
    take(event.dataTransfer.files);
  });
  window.addEventListener('paste', (event) => take(event.clipboardData.files));
  $('#download-all').addEventListener('click', downloadAll);
}

setUpTabs();
setUpInput();
setUpIdPhoto();
pollSystem();
