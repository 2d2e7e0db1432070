// The web page in Debian's Chromium, driven by playwright-core, against a real `rmbg serve`:
// photos dropped and picked, results shown, downloads checked, errors shown on their file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { pngHeader, requireFromCache, startServer, testdata } from './support.mjs';

const { chromium } = requireFromCache('playwright-core');
const artifacts = process.env.RMBG_ARTIFACTS_DIR;

let server;
let browser;
let page;
const requested = [];
const scriptErrors = [];
const fileChoosers = [];

before(async () => {
  server = await startServer();
  // Playwright gives every launch a fresh profile directory of its own.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('request', (request) => requested.push(request.url()));
  page.on('pageerror', (error) => scriptErrors.push(error.message));
  // Listening from the start makes Playwright catch every file chooser the page opens.
  page.on('filechooser', (chooser) => fileChoosers.push(chooser));
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  assert.equal(await server?.stop(), 0, 'the server exits cleanly');
});

// Drops `files` ({name, type, base64}) on the drop zone as the browser does: dragenter, dragover
// and drop events that carry them.
async function drop(files) {
  await page.evaluate((files) => {
    const transfer = new DataTransfer();
    for (const file of files) {
      const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], file.name, { type: file.type }));
    }
    const zone = document.querySelector('#drop');
    for (const type of ['dragenter', 'dragover', 'drop'])
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
}

function sample(name, type) {
  return { name, type, base64: readFileSync(path.join(testdata, name)).toString('base64') };
}

// Smallest and largest value of channel `channel` (0..3) of an image file, decoded by the browser.
async function channelRange(bytes, channel) {
  return page.evaluate(async ({ base64, channel }) => {
    const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([data]), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let min = 255;
    let max = 0;
    for (let i = channel; i < pixels.length; i += 4) {
      min = Math.min(min, pixels[i]);
      max = Math.max(max, pixels[i]);
    }
    return { min, max };
  }, { base64: bytes.toString('base64'), channel });
}

async function download(button) {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), button.click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

async function chooserOpenedBy(action) {
  const before = fileChoosers.length;
  await action();
  for (let wait = 0; wait < 100 && fileChoosers.length === before; wait++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return fileChoosers[before];
}

function card(name) {
  return page.locator('.result', { has: page.locator('.result-name', { hasText: name }) });
}

test('two dropped photos and a picked text file become a batch', async () => {
  await drop([sample('rocket.jpg', 'image/jpeg'), sample('chelsea.png', 'image/png')]);
  await page.setInputFiles('#picker', {
    name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('this is text, not a picture\n'),
  });
  assert.equal(await page.locator('.result').count(), 3, 'one card per file, at once: no start button');
  await page.locator('.result.done').nth(1).waitFor({ timeout: 240_000 });
  await card('notes.png').and(page.locator('.failed')).waitFor({ timeout: 60_000 });

  for (const [name, width, height] of [['rocket.jpg', 640, 427], ['chelsea.png', 451, 300]]) {
    const result = card(name);
    assert.match(await result.locator('.result-status').textContent(), /^Done in \d+\.\d s$/);
    const cutout = await result.locator('img.cutout').evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(cutout, [width, height], `the cut-out of ${name} is shown at its size`);
  }
  const error = await card('notes.png').locator('.result-status').textContent();
  assert.match(error, /not a picture rmbg can open/, 'the error is on the file, in plain words');
  assert.equal(await card('notes.png').locator('.compare').isVisible(), false);
  assert.equal(await page.locator('#batch-summary').textContent(), '2 of 3 done · 1 could not be processed');
});

test('the PNG and the Alpha downloads are the cut-out and its mask', async () => {
  const rocket = card('rocket.jpg');
  const png = await download(rocket.locator('.download-png'));
  assert.equal(png.name, 'rocket-cutout.png');
  assert.deepEqual(pngHeader(png.bytes), { width: 640, height: 427, depth: 8, colourType: 6 });
  const alphaOfPng = await channelRange(png.bytes, 3);
  assert.ok(alphaOfPng.min < 10 && alphaOfPng.max > 245, `alpha not constant: ${JSON.stringify(alphaOfPng)}`);

  const alpha = await download(rocket.locator('.download-alpha'));
  assert.equal(alpha.name, 'rocket-alpha.png');
  assert.deepEqual(pngHeader(alpha.bytes), { width: 640, height: 427, depth: 8, colourType: 0 });
  const grey = await channelRange(alpha.bytes, 0);
  assert.ok(grey.min < 10 && grey.max > 245, `mask not constant: ${JSON.stringify(grey)}`);
});

test('a background colour shows in the preview and in the PNG', async () => {
  const chelsea = card('chelsea.png');
  await chelsea.getByLabel('Blue').check();
  const shown = await chelsea.locator('.stage').evaluate((stage) => getComputedStyle(stage).backgroundColor);
  assert.equal(shown, 'rgb(67, 142, 219)');
  const filled = await download(chelsea.locator('.download-png'));
  assert.equal(filled.name, 'chelsea-438edb.png');
  assert.deepEqual(pngHeader(filled.bytes), { width: 451, height: 300, depth: 8, colourType: 2 });
  const blue = await channelRange(filled.bytes, 2);
  assert.ok(blue.max > 200, 'the background is blue somewhere');

  await chelsea.getByLabel('Transparent').check();
  assert.match(await chelsea.locator('.stage').getAttribute('class'), /transparent/, 'a checkerboard again');
});

test('download all gives one ZIP of the cut-outs', async () => {
  const archive = await download(page.locator('#download-all'));
  assert.equal(archive.name, 'rmbg-cutouts.zip');
  // Python's zipfile checks the archive and every CRC, independently of the page's writer.
  const listing = execFileSync('python3', ['-c', `
import io, sys, zipfile
archive = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
assert archive.testzip() is None
for info in archive.infolist():
    print(info.filename, archive.read(info)[:4] == b"\\x89PNG")
`], { input: archive.bytes }).toString();
  assert.equal(listing, 'rocket-cutout.png True\nchelsea-cutout.png True\n');
});

test('the page works from the keyboard', async () => {
  await page.locator('#drop').focus();
  for (const key of ['Enter', ' ']) {
    const chooser = await chooserOpenedBy(() => page.keyboard.press(key));
    assert.ok(chooser, `${JSON.stringify(key)} on the drop zone opens the file picker`);
    assert.ok(chooser.isMultiple(), 'for several files');
    await chooser.setFiles([]);  // closes it: the browser opens one picker at a time
  }
  assert.equal(await page.locator('.result').count(), 3, 'closing the picker adds nothing');

  const split = card('rocket.jpg').locator('.split');
  await split.focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
  assert.equal(await split.inputValue(), '40');
  const clip = await card('rocket.jpg').locator('img.original').evaluate((img) => getComputedStyle(img).clipPath);
  assert.equal(clip, 'inset(0px 60% 0px 0px)', 'the original shows left of the split only');
});

// Width, height and the colour of pixel (x, y) of an image file, decoded by the browser.
async function pixelAt(bytes, x, y) {
  return page.evaluate(async ({ base64, x, y }) => {
    const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([data]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    return { width: bitmap.width, height: bitmap.height, rgb: [...context.getImageData(x, y, 1, 1).data.slice(0, 3)] };
  }, { base64: bytes.toString('base64'), x, y });
}

test('the ID photo tab makes a photo of the size and colour chosen, and its print sheet', async () => {
  await page.getByRole('tab', { name: 'ID photo' }).click();
  assert.equal(await page.locator('#panel-remove').isVisible(), false, 'one tab at a time');
  await page.locator('#id-size option[value="us-visa"]').waitFor({ state: 'attached' });
  await page.selectOption('#id-size', 'us-visa');
  assert.match(await page.locator('#id-rule').textContent(), /600×600 px at 300 DPI.*travel\.state\.gov/);
  await page.locator('#id-background').getByLabel('Blue').check();
  await page.setInputFiles('#id-picker', path.join(testdata, 'astronaut.png'));
  await page.locator('#id-status', { hasText: /^Done in/ }).waitFor({ timeout: 240_000 });

  assert.deepEqual(await page.locator('#id-photo').evaluate((img) => [img.naturalWidth, img.naturalHeight]), [600, 600]);
  assert.match(await page.locator('#id-sheet-caption').textContent(), /^2 copies on a 6-inch/);
  const photo = await download(page.locator('#id-download-photo'));
  assert.equal(photo.name, 'astronaut-us-visa.jpg');
  const corner = await pixelAt(photo.bytes, 3, 3);
  assert.deepEqual([corner.width, corner.height], [600, 600]);
  corner.rgb.forEach((value, c) => assert.ok(Math.abs(value - [0x43, 0x8e, 0xdb][c]) <= 3, `blue corner: ${corner.rgb}`));
  assert.equal(photo.bytes.subarray(6, 11).toString('latin1'), 'JFIF\0');
  assert.equal(photo.bytes.readUInt16BE(14), 300, 'the DPI is in the file');
  const sheet = await download(page.locator('#id-download-sheet'));
  assert.equal(sheet.name, 'astronaut-us-visa-sheet.jpg');
  const paper = await pixelAt(sheet.bytes, 2, 2);
  assert.equal(paper.width * paper.height, 1200 * 1800);
  assert.deepEqual(paper.rgb.map((v) => v > 245), [true, true, true], 'white paper at the edge');

  // A photo with no face says so, and the last good result goes away.
  await page.setInputFiles('#id-picker', path.join(testdata, 'chelsea.png'));
  await page.locator('#id-status.failed').waitFor({ timeout: 120_000 });
  assert.match(await page.locator('#id-status').textContent(), /cannot make an ID photo: no face found/);
  assert.equal(await page.locator('#id-result').isVisible(), false);
  if (artifacts) await page.screenshot({ path: path.join(artifacts, 'page-idphoto.png'), fullPage: true });
  await page.getByRole('tab', { name: 'Remove background' }).click();
});

test('the top-right corner shows live CPU use, and GPU as none', async () => {
  await page.waitForFunction(() => /^\d+%$/.test(document.querySelector('#cpu-value').textContent));
  assert.equal(await page.locator('#gpu-value').textContent(), 'none');
  const corner = await page.locator('#usage').boundingBox();
  assert.ok(corner.x + corner.width > 1280 - 40 && corner.y < 40, 'in the top-right corner');
});

test('nothing is loaded from anywhere but rmbg, and no script failed', () => {
  const outside = requested.filter((url) => !url.startsWith(server.url) && !/^(blob|data):/.test(url));
  assert.deepEqual(outside, []);
  assert.deepEqual(scriptErrors, []);
});

test('the page fits a laptop and a phone', async () => {
  if (artifacts) mkdirSync(artifacts, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  if (artifacts) await page.screenshot({ path: path.join(artifacts, 'page-laptop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.equal(overflow, 0, 'no sideways scrolling on a phone');
  if (artifacts) await page.screenshot({ path: path.join(artifacts, 'page-phone.png'), fullPage: true });
});
