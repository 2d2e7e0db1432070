// The rmbg page. Photos dropped or picked are sent to POST /remove-bg one after another as soon
// as they arrive; each gets a tile in a grid, which opens into the result: the original and the
// cut-out side by side, brushes to touch the cut-out up, backgrounds, and downloads the page
// makes itself from that one result. The "ID photo" tab lives in idphoto.js, the "Video" tab in
// video.js.
// Plain JavaScript modules, no build step, nothing from outside.
'use strict';

import {
  $, ACCEPT_ATTRIBUTE, FORMATS_IN_WORDS, drawable, errorText, formatBytes, isAccepted, request, send, server, stem,
  touchOnly,
} from './common.js';
import { Editor } from './editor.js';
import { FORMATS, alphaPng, composite, outputSize, saveBlob, zipArchive } from './export.js';
import { ID_BACKGROUNDS, idPhotoWorking, setIdFile, setUpIdPhoto } from './idphoto.js';
import { setUpVideo, setVideoFile, videoWorking } from './video.js';

const BACKGROUNDS = [
  { id: 'transparent', label: 'Transparent' },
  ...ID_BACKGROUNDS,
];
const LONG_SIDES = [4000, 3000, 2000, 1500, 1000, 500];
const SYSTEM_POLL_MS = 2000;

const items = [];
let inFlight = 0;
let shown = null;  // the item open in the viewer
let serverQueue = { running: 0, waiting: 0 };

// ---- one tile per file --------------------------------------------------------------------------

function addFiles(fileList) {
  const files = Array.from(fileList);
  if (files.length === 0) return;
  for (const file of files) {
    const item = { file, state: 'waiting', cutout: null, background: null, tile: makeTile(file) };
    items.push(item);
    $('#results').append(item.tile.root);
    const problem = checkFile(file);
    if (problem) fail(item, problem);
    else setStatus(item, 'Waiting for its turn…');
  }
  updateBatch();
  pump();
}

function checkFile(file) {
  if (!isAccepted(file)) return `This is not a ${FORMATS_IN_WORDS} picture, so rmbg cannot use it.`;
  if (file.size > server.maxUploadBytes)
    return `This file is too big to send (${formatBytes(file.size)}): the limit is ${formatBytes(server.maxUploadBytes)}.`;
  return null;
}

function makeTile(file) {
  const root = $('#tile-template').content.firstElementChild.cloneNode(true);
  const tile = {
    root,
    open: $('.tile-open', root),
    image: $('.tile-image', root),
    status: $('.tile-status', root),
    progress: $('.tile-progress', root),
    remove: $('.tile-remove', root),
  };
  $('.tile-name', root).textContent = file.name;
  tile.open.title = `${file.name} · ${formatBytes(file.size)}`;
  tile.remove.setAttribute('aria-label', `Remove ${file.name}`);
  tile.image.alt = file.name;
  // The browser's own drawing of the file; formats it cannot draw show the cut-out once it is there.
  tile.image.addEventListener('error', () => root.classList.remove('previewable'), { once: true });
  tile.image.addEventListener('load', () => root.classList.add('previewable'), { once: true });
  tile.image.src = URL.createObjectURL(file);
  return tile;
}

function itemOfTile(root) {
  return items.find((item) => item.tile.root === root);
}

function setStatus(item, text) {
  item.tile.status.textContent = text;
  if (item === shown) $('#viewer-status').textContent = text;
}

function fail(item, message) {
  item.state = 'failed';
  item.tile.root.classList.add('failed');
  item.tile.progress.hidden = true;
  setStatus(item, message);
}

// Starts the next waiting photos, as many at once as the server works on.
function pump() {
  while (inFlight < server.concurrency) {
    const next = items.find((item) => item.state === 'waiting');
    if (!next) break;
    process(next);
  }
  showActivity();
}

async function process(item) {
  item.state = 'working';
  inFlight++;
  item.tile.root.classList.add('working');
  const started = performance.now();
  const { progress } = item.tile;
  try {
    item.cutout = await send('remove-bg', item.file, {}, (phase, value) => {
      if (phase === 'upload') {
        progress.value = value;
        setStatus(item, value < 1 ? `Uploading ${Math.round(value * 100)}%` : 'Removing the background…');
        if (value >= 1) progress.removeAttribute('value');
      } else {
        setStatus(item, phase === 'loading' ? 'Waiting for the model to load…'
                                            : `The server is busy; trying again in ${value} s…`);
      }
    });
    if (item.state !== 'removed') showResult(item, (performance.now() - started) / 1000);
  } catch (error) {
    if (item.state !== 'removed') fail(item, errorText(error));
  } finally {
    item.tile.root.classList.remove('working');
    inFlight--;
    updateBatch();
    pump();
  }
}

function showResult(item, seconds) {
  item.state = 'done';
  item.tile.root.classList.add('done', 'previewable');
  item.tile.progress.hidden = true;
  item.tile.image.src = URL.createObjectURL(item.cutout);
  setStatus(item, `Done in ${seconds.toFixed(1)} s`);
  if (!shown) open(item);
}

function removeItem(item) {
  if (item === shown) close();
  item.state = 'removed';
  item.editor = null;
  item.tile.root.remove();
  items.splice(items.indexOf(item), 1);
  updateBatch();
  showActivity();
}

function updateBatch() {
  const done = items.filter((item) => item.state === 'done').length;
  const failed = items.filter((item) => item.state === 'failed').length;
  $('#batch').hidden = items.length === 0;
  document.body.classList.toggle('has-results', items.length > 0);
  const parts = [`${done} of ${items.length} done`];
  if (failed) parts.push(`${failed} could not be processed`);
  $('#batch-summary').textContent = parts.join(' · ');
  $('#download-all').disabled = done === 0;
}

// ---- the result open in the viewer ----------------------------------------------------------------

async function open(item) {
  if (item.state !== 'done') return;
  if (shown?.editor) shown.editor.detach();
  for (const other of items) other.tile.root.classList.toggle('open', other === item);
  shown = item;
  $('#viewer').hidden = false;
  $('#viewer-name').textContent = item.file.name;
  $('#viewer-status').textContent = item.tile.status.textContent;
  $('#viewer').classList.add('loading');
  try {
    // Without a drawing of the original (an older server, without previews), the cut-out stands in for it.
    item.editorReady ||= Promise.all([drawable(item.file), createImageBitmap(item.cutout)])
      .then(([original, cutout]) => new Editor($('#stage'), original || cutout, cutout));
    item.editor = await item.editorReady;
    if (shown !== item) return;
    const { editor } = item;
    $('#stage').style.setProperty('--ratio', `${editor.width} / ${editor.height}`);
    editor.tool = $('#tools input:checked').value;
    editor.brushPixels = Number($('#brush-size').value);
    editor.onChange(showEditState);
    editor.attach();
    $('#split').value = String(Math.round(editor.split * 100));
    showBackground(item);
    showSizes(editor);
    showEditState(editor);
    $('#stage').dataset.tool = editor.tool;
  } catch (error) {
    item.editorReady = null;  // the next opening tries again
    if (shown === item) $('#viewer-status').textContent = errorText(error);
  } finally {
    if (shown === item) $('#viewer').classList.remove('loading');
  }
}

function close() {
  shown?.editor?.detach();
  if (shown) shown.tile.root.classList.remove('open');
  shown = null;
  $('#viewer').hidden = true;
}

function showEditState(editor) {
  if (editor !== shown?.editor) return;
  $('#undo').disabled = editor.strokes.length === 0;
  $('#redo').disabled = editor.undone.length === 0;
  $('#zoom-value').textContent = `${Math.round(editor.zoom * 100)}%`;
}

function showSizes(editor) {
  const select = $('#download-size');
  const chosen = select.value;
  select.replaceChildren(new Option(`Original (${editor.width}×${editor.height})`, '0'));
  for (const side of LONG_SIDES) {
    if (side >= Math.max(editor.width, editor.height)) continue;
    const { width, height } = outputSize(editor.width, editor.height, side);
    select.append(new Option(`${width}×${height}`, String(side)));
  }
  if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
}

// The background radios reflect the open item's choice.
function showBackground(item) {
  const background = item.background;
  const id = !background ? 'transparent' : background.id;
  const radio = $(`#backgrounds input[value="${id}"]`);
  if (radio) radio.checked = true;
  applyBackground(item);
}

function applyBackground(item) {
  const background = item.background;
  const stage = $('#stage');
  stage.classList.toggle('transparent', !background);
  // Colours are the stage's own; pictures and the blurred photo are drawn by the editor.
  stage.style.setProperty('--background', background?.colour || 'transparent');
  item.editor?.setBackground(background?.colour ? null : background);
}

function chooseBackground(background) {
  if (!shown) return;
  shown.background = background;
  applyBackground(shown);
}

function setUpBackgrounds() {
  const group = $('#backgrounds');
  const option = (label, value, swatch) => {
    const wrapper = document.createElement('label');
    wrapper.className = 'choice';
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = 'background';
    radio.value = value;
    if (swatch) radio.style.setProperty('--swatch', swatch);
    wrapper.append(radio, document.createTextNode(label));
    group.append(wrapper);
    return radio;
  };
  for (const background of BACKGROUNDS) {
    option(background.label, background.id, background.colour).addEventListener('change', () =>
      chooseBackground(background.colour ? { id: background.id, name: background.colour.slice(1), colour: background.colour } : null));
  }
  // A colour of the user's own: a radio that takes the colour of the picker beside it.
  const custom = option('Custom', 'custom');
  const picker = document.createElement('input');
  picker.type = 'color';
  picker.value = '#2e8b57';
  picker.setAttribute('aria-label', 'Custom background colour');
  const useColour = () => chooseBackground({ id: 'custom', name: picker.value.slice(1), colour: picker.value });
  custom.addEventListener('change', useColour);
  picker.addEventListener('input', () => {
    custom.checked = true;
    useColour();
  });
  custom.parentElement.append(picker);

  option('Blurred', 'blur').addEventListener('change', () => chooseBackground({ id: 'blur', name: 'blurred', blur: true }));

  // A picture of the user's own, picked when the radio is chosen (again, to change it).
  const pictureRadio = option('Picture…', 'picture');
  const picturePicker = $('#background-picker');
  picturePicker.accept = ACCEPT_ATTRIBUTE;
  pictureRadio.parentElement.addEventListener('click', () => picturePicker.click());
  picturePicker.addEventListener('change', async () => {
    const [file] = picturePicker.files;
    picturePicker.value = '';
    if (!file || !shown) return;
    const picture = await drawable(file);
    if (picture) chooseBackground({ id: 'picture', name: stem(file.name), picture });
    else $('#viewer-status').textContent = `${file.name} is not a picture this page can show.`;
  });
}

function setUpViewer() {
  $('#viewer-close').addEventListener('click', close);
  for (const radio of document.querySelectorAll('#tools input')) {
    radio.addEventListener('change', () => {
      $('#stage').dataset.tool = radio.value;
      if (shown?.editor) shown.editor.tool = radio.value;
    });
  }
  $('#brush-size').addEventListener('input', () => {
    $('#stage').style.setProperty('--brush', `${$('#brush-size').value}px`);
    if (shown?.editor) shown.editor.brushPixels = Number($('#brush-size').value);
  });
  $('#stage').style.setProperty('--brush', `${$('#brush-size').value}px`);
  $('#undo').addEventListener('click', () => shown?.editor?.undo());
  $('#redo').addEventListener('click', () => shown?.editor?.redo());
  $('#zoom-in').addEventListener('click', () => shown?.editor?.zoomBy(1.5));
  $('#zoom-out').addEventListener('click', () => shown?.editor?.zoomBy(1 / 1.5));
  $('#zoom-fit').addEventListener('click', () => shown?.editor?.fit());
  $('#split').addEventListener('input', () => shown?.editor?.setSplit(Number($('#split').value) / 100));
  $('#stage').addEventListener('splitchange', (event) => { $('#split').value = String(Math.round(event.detail * 100)); });
  window.addEventListener('keydown', (event) => {
    if (!shown?.editor || !(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== 'z') return;
    if (event.target.matches('input[type="number"], input[type="text"]')) return;
    event.preventDefault();
    if (event.shiftKey) shown.editor.redo();
    else shown.editor.undo();
  });
  for (const [name, format] of Object.entries(FORMATS)) $('#download-format').append(new Option(format.label, name));
  $('#download').addEventListener('click', () => downloading($('#download'), () => downloadShown()));
  $('#download-alpha').addEventListener('click', () => downloading($('#download-alpha'), () => downloadAlpha()));
  setUpBackgrounds();
}

// ---- downloads, made here from the one result -----------------------------------------------------

function longSide() {
  return Number($('#download-size').value) || 0;
}

async function downloading(button, make) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = 'Preparing…';
  try {
    await make();
  } catch (error) {
    $('#viewer-status').textContent = errorText(error);
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

// What the viewer shows, in the format and at the size chosen. The server's own PNG when nothing
// was changed: it carries the photograph's metadata (EXIF, ICC profile), which a canvas drops.
async function downloadShown() {
  const { editor, background, file } = shown;
  const format = $('#download-format').value;
  const name = `${stem(file.name)}-${background ? background.name : 'cutout'}.${FORMATS[format].extension}`;
  if (format === 'png' && !longSide() && !background && !editor.edited) return saveBlob(shown.cutout, name);
  saveBlob(await composite(editor, background, format, longSide()), name);
}

async function downloadAlpha() {
  saveBlob(await alphaPng(shown.editor, longSide()), `${stem(shown.file.name)}-alpha.png`);
}

// Every transparent cut-out, touched up where it was, in one ZIP.
async function downloadAll() {
  const done = items.filter((item) => item.state === 'done');
  const used = new Map();
  const files = await Promise.all(done.map(async (item) => {
    const base = `${stem(item.file.name)}-cutout`;
    const count = (used.get(base) || 0) + 1;
    used.set(base, count);
    const name = count === 1 ? `${base}.png` : `${base}-${count}.png`;
    const png = item.editor?.edited ? await composite(item.editor, null, 'png', 0) : item.cutout;
    return { name, bytes: new Uint8Array(await png.arrayBuffer()) };
  }));
  saveBlob(zipArchive(files), 'rmbg-cutouts.zip');
}

// ---- what the machine is doing ------------------------------------------------------------------------

// Beside the CPU meter, which reads near 100% while a photo is processed: what it is working on.
function showActivity() {
  const active = items.filter((item) => item.state === 'waiting' || item.state === 'working');
  const parts = [];
  if (active.length) {
    const settled = items.filter((item) => item.state === 'done' || item.state === 'failed').length;
    const waiting = items.filter((item) => item.state === 'waiting').length;
    parts.push(`Photo ${Math.min(items.length, settled + 1)} of ${items.length}`);
    if (waiting) parts.push(`${waiting} waiting`);
  }
  if (idPhotoWorking()) parts.push('Making the ID photo');
  if (videoWorking()) parts.push('Cutting out the clip');
  const others = serverQueue.running + serverQueue.waiting - (inFlight + (idPhotoWorking() ? 1 : 0));
  if (others > 0) parts.push(`${others} from elsewhere in the queue`);
  $('#activity').textContent = parts.join(' · ');
  $('#activity').hidden = parts.length === 0;
}

function showMeter(name, percent, detail, absentText = 'none') {
  $(`#${name}-meter`).classList.toggle('absent', percent == null);
  $(`#${name}-value`).textContent = percent == null ? absentText : `${Math.round(percent)}%`;
  $(`#${name}-bar`).style.width = `${percent == null ? 0 : Math.min(100, percent)}%`;
  $(`#${name}-meter`).title = detail;
}

// The machine's use, the server's limits and its queue, from /api/system.
async function showSystem() {
  try {
    const answer = await request('api/system', { cache: 'no-store' }, { ask: false });
    if (answer.status === 401 || answer.status === 403) {
      const why = 'This server shows its use of the machine to its operator only';
      showMeter('cpu', null, why, 'hidden');
      showMeter('gpu', null, why, 'hidden');
      return;
    }
    const system = await answer.json();
    server.concurrency = Math.max(1, system.queue.concurrency);
    server.maxUploadBytes = system.limits.max_upload_bytes;
    serverQueue = system.queue;
    showMeter('cpu', system.cpu.machine_percent,
              `Whole machine: ${Math.round(system.cpu.machine_percent)}% of ${system.cpu.cores} cores · ` +
              `rmbg: ${Math.round(system.cpu.process_percent)}%, ${formatBytes(system.memory.process_rss_bytes)} of memory. ` +
              'Near 100% while a photo is processed is normal: rmbg uses every core.');
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

async function pollSystem() {
  if (document.visibilityState === 'visible') await showSystem();
  setTimeout(pollSystem, SYSTEM_POLL_MS);
}

// ---- tabs and ways in: drop, picker, keyboard, paste ----------------------------------------------

function shownPanel() {
  return document.querySelector('[role="tabpanel"]:not([hidden])').id;
}

function setUpTabs() {
  const tabs = [$('#tab-remove'), $('#tab-idphoto'), $('#tab-video')];
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
  // On a touch screen there is nothing to drag a photo from: the zones only say "choose".
  if (touchOnly())
    for (const title of document.querySelectorAll('.drop-title[data-touch]')) title.textContent = title.dataset.touch;
  const drop = $('#drop');
  $('#picker').accept = ACCEPT_ATTRIBUTE;
  pickFilesThrough(drop, $('#picker'), addFiles);
  // The whole window takes drops, so a photo dropped beside the zone is not opened by the browser.
  let depth = 0;
  // Files go to the tab that is shown.
  const zone = () => ({ 'panel-idphoto': $('#id-drop'), 'panel-video': $('#video-drop') }[shownPanel()] || drop);
  const take = (files) => {
    if (shownPanel() === 'panel-idphoto') setIdFile(files[0], showActivity);
    else if (shownPanel() === 'panel-video') setVideoFile(files[0], showActivity);
    else addFiles(files);
  };
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
  $('#clear-all').addEventListener('click', () => [...items].forEach(removeItem));
  $('#results').addEventListener('click', (event) => {
    const root = event.target.closest('.tile');
    const item = root && itemOfTile(root);
    if (!item) return;
    if (event.target.closest('.tile-remove')) removeItem(item);
    else if (event.target.closest('.tile-open')) open(item);
  });
}

setUpTabs();
setUpInput();
setUpViewer();
setUpIdPhoto(pickFilesThrough, showActivity);
setUpVideo(pickFilesThrough, showActivity);
pollSystem();
