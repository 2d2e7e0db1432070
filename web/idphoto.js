// The "ID photo" tab: one portrait sent to POST /api/idphoto with the size, colour and print
// sheet chosen; the photo and its sheet shown with where the head was placed.
'use strict';

import { $, ACCEPT_ATTRIBUTE, FORMATS_IN_WORDS, errorText, formatBytes, isAccepted, request, send, stem } from './common.js';
import { saveBlob } from './export.js';

export const ID_BACKGROUNDS = [
  { id: 'white', label: 'White', colour: '#ffffff' },
  { id: 'blue', label: 'Blue', colour: '#438edb' },
  { id: 'red', label: 'Red', colour: '#ff0000' },
];

// The size a country's own documents use, by the region of the browser's language ("en" alone
// stands for en-US, "de" for de-DE: Intl.Locale fills the likely region in).
const SIZE_OF_REGION = { US: 'us-visa', GB: 'uk-passport', JP: 'japan-visa', CN: '1inch' };
const SCHENGEN_REGIONS = ['AT', 'BE', 'CH', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IS', 'IT', 'LI',
                          'LT', 'LU', 'LV', 'MT', 'NL', 'NO', 'PL', 'PT', 'SE', 'SI', 'SK'];

export function defaultSize(languages, sizes) {
  for (const tag of languages) {
    let region;
    try {
      region = new Intl.Locale(tag).maximize().region;
    } catch {
      continue;
    }
    const name = SIZE_OF_REGION[region] || (SCHENGEN_REGIONS.includes(region) ? 'schengen' : null);
    if (name && sizes.some((size) => size.name === name)) return name;
  }
  return sizes[0].name;
}

const state = { file: null, photo: null, sheet: null, sizes: [], run: 0, working: false };

export function idPhotoWorking() {
  return state.working;
}

function millimetres(value) {
  return value.toFixed(value % 1 ? 1 : 0);
}

function inches(mm) {
  const value = mm / 25.4;
  return Math.abs(value - Math.round(value)) < 0.02 ? `${Math.round(value)}` : null;
}

// The size's rule in plain words: its name, its millimetres, the head and where it sits.
export function ruleInWords(size) {
  const range = (r) => `${millimetres(r.min)}–${millimetres(r.max)} mm`;
  const w = inches(size.width_mm);
  const h = inches(size.height_mm);
  const inInches = w && h ? ` (${w}×${h} in)` : '';
  const place = size.top_margin_mm
    ? `the top of the hair ${range(size.top_margin_mm)} below the top edge`
    : `the eyes ${range(size.eye_line_mm)} above the bottom edge`;
  return `${size.title}: ${millimetres(size.width_mm)}×${millimetres(size.height_mm)} mm${inInches}, ` +
    `${size.width_px}×${size.height_px} px at 300 DPI. Head ${range(size.head_height_mm)} from chin to top of hair, ` +
    `${place}. Rule: ${size.source}.`;
}

function options() {
  const background = $('#id-background input:checked');
  const fields = { size: $('#id-size').value, bg: background.value === 'custom' ? $('#id-colour').value : background.value };
  if ($('#id-layout').value) fields.layout = $('#id-layout').value;
  if ($('#id-kb').value) fields.kb = $('#id-kb').value;
  return fields;
}

function base64Blob(base64, type) {
  return new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type });
}

function setStatus(text, failed = false) {
  $('#id-status').textContent = text;
  $('#id-status').classList.toggle('failed', failed);
}

function describeRule() {
  const size = state.sizes.find((s) => s.name === $('#id-size').value);
  if (size) $('#id-rule').textContent = ruleInWords(size);
}

// Sends the portrait with the options chosen; a newer run makes an older answer stale.
async function make(onActivity) {
  if (!state.file || !$('#id-size').value) return;
  const run = ++state.run;
  const started = performance.now();
  setStatus('Uploading…');
  $('#panel-idphoto').classList.add('working');
  state.working = true;
  onActivity();
  try {
    const answer = await send('api/idphoto', state.file, options(), (phase, value) => {
      if (phase === 'upload') setStatus(value < 1 ? `Uploading ${Math.round(value * 100)}%` : 'Making the ID photo…');
      else setStatus(phase === 'loading' ? 'Waiting for the model to load…' : `The server is busy; trying again in ${value} s…`);
    }, { accept: 'application/json' });
    if (run !== state.run) return;
    show(JSON.parse(await answer.text()), (performance.now() - started) / 1000);
  } catch (error) {
    if (run !== state.run) return;
    $('#id-result').hidden = true;
    setStatus(errorText(error), true);
  } finally {
    if (run === state.run) {
      $('#panel-idphoto').classList.remove('working');
      state.working = false;
      onActivity();
    }
  }
}

function show(answer, seconds) {
  const { photo, sheet, placement, size } = answer;
  state.photo = base64Blob(photo.base64, photo.media_type);
  state.sheet = sheet ? base64Blob(sheet.base64, sheet.media_type) : null;
  state.name = `${stem(state.file.name)}-${size.name}`;
  $('#id-photo').src = URL.createObjectURL(state.photo);
  // Said the way the size's rule says it; custom sizes have a rule for the crown.
  const rule = state.sizes.find((s) => s.name === size.name);
  const where = rule && !rule.top_margin_mm ? `eyes ${placement.eye_line_mm.toFixed(1)} mm above the bottom`
                                            : `top of the hair ${placement.top_margin_mm.toFixed(1)} mm below the top`;
  $('#id-photo-caption').textContent = `${size.title}: ${photo.width}×${photo.height} px at ${size.dpi} DPI, ` +
    `${formatBytes(photo.bytes)}${photo.quality ? ` (JPEG quality ${photo.quality})` : ''} · ` +
    `head ${placement.head_height_mm.toFixed(1)} mm, ${where}`;
  $('#id-result').classList.toggle('with-sheet', Boolean(sheet));
  if (sheet) {
    $('#id-sheet-image').src = URL.createObjectURL(state.sheet);
    $('#id-sheet-caption').textContent = `${sheet.copies} copies on a ${sheet.title} sheet`;
  }
  $('#id-result').hidden = false;
  const soft = placement.enlargement > 1.5 ? ' The face is small in this photo, so the result is enlarged and looks soft.' : '';
  const continued = placement.continued_mm > 0
    ? ` The portrait stops short of this photo's edge, so the clothing was continued ${placement.continued_mm.toFixed(1)} mm.` : '';
  setStatus(`Done in ${seconds.toFixed(1)} s.${soft}${continued}`);
}

// Takes the portrait `file` (dropped, pasted or picked) and makes its ID photo.
export function setIdFile(file, onActivity) {
  if (!file) return;
  if (!isAccepted(file)) {
    setStatus(`This is not a ${FORMATS_IN_WORDS} picture, so rmbg cannot use it.`, true);
    return;
  }
  state.file = file;
  make(onActivity);
}

export async function setUpIdPhoto(pickFilesThrough, onActivity) {
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

  $('#id-picker').accept = ACCEPT_ATTRIBUTE;
  pickFilesThrough($('#id-drop'), $('#id-picker'), (files) => setIdFile(files[0], onActivity));
  $('#id-options').addEventListener('change', () => {
    describeRule();
    make(onActivity);
  });
  $('#id-options').addEventListener('submit', (event) => event.preventDefault());
  const extension = (blob) => (blob.type === 'image/png' ? 'png' : 'jpg');
  $('#id-download-photo').addEventListener('click', () => saveBlob(state.photo, `${state.name}.${extension(state.photo)}`));
  $('#id-download-sheet').addEventListener('click', () => saveBlob(state.sheet, `${state.name}-sheet.${extension(state.sheet)}`));

  const { sizes, sheets } = await (await request('api/idphoto/sizes')).json();
  state.sizes = sizes;
  for (const size of sizes)
    $('#id-size').append(new Option(`${size.title} (${millimetres(size.width_mm)}×${millimetres(size.height_mm)} mm)`, size.name));
  $('#id-size').value = defaultSize(navigator.languages || [navigator.language], sizes);
  $('#id-layout').append(new Option('None', ''));
  for (const sheet of sheets) $('#id-layout').append(new Option(sheet.title, sheet.name));
  $('#id-layout').value = sheets[0].name;
  describeRule();
  make(onActivity);
}
