// The web page in Debian's Chromium, driven by playwright-core, against a real `rmbg serve`:
// photos dropped and picked, results in a grid opening into the compare view, touch-up brushes,
// backgrounds, downloads made by the page, the ID photo and video tabs, a phone's screen, a server that needs
// an API key under a base path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { pngHeader, requireFromCache, startServer, testdata } from './support.mjs';

const { chromium } = requireFromCache('playwright-core');
const artifacts = process.env.RMBG_ARTIFACTS_DIR;
const LAPTOP = { width: 1280, height: 800 };

let server;
let browser;
let page;
let scratch;
const requested = [];
const scriptErrors = [];
const fileChoosers = [];

before(async () => {
  server = await startServer();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'rmbg-web-'));
  // Playwright gives every launch a fresh profile directory of its own.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: LAPTOP, acceptDownloads: true, locale: 'en-US' });
  page = await context.newPage();
  page.on('request', (request) => requested.push(request.url()));
  page.on('pageerror', (error) => scriptErrors.push(error.message));
  // Listening from the start makes Playwright catch every file chooser the page opens.
  page.on('filechooser', (chooser) => fileChoosers.push(chooser));
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
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

function sample(name, type, folder = testdata) {
  return { name, type, base64: readFileSync(path.join(folder, name)).toString('base64') };
}

// Every pixel of an image file, decoded by the browser: {width, height, pixels (RGBA bytes)}.
async function decode(bytes) {
  const { width, height, base64 } = await page.evaluate(async (base64) => {
    const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([data]), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let text = '';
    for (let i = 0; i < pixels.length; i += 0x8000) text += String.fromCharCode(...pixels.subarray(i, i + 0x8000));
    return { width: bitmap.width, height: bitmap.height, base64: btoa(text) };
  }, bytes.toString('base64'));
  const pixels = Buffer.from(base64, 'base64');
  return { width, height, pixels, at: (x, y) => [...pixels.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)] };
}

// Smallest and largest value of channel `channel` (0..3).
function channelRange({ pixels }, channel) {
  let min = 255;
  let max = 0;
  for (let i = channel; i < pixels.length; i += 4) {
    min = Math.min(min, pixels[i]);
    max = Math.max(max, pixels[i]);
  }
  return { min, max };
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

function tile(name) {
  return page.locator('.tile', { has: page.locator('.tile-name', { hasText: name }) });
}

async function openResult(name) {
  await tile(name).locator('.tile-open').click();
  await page.locator('#viewer-name', { hasText: name }).waitFor();
  await page.waitForFunction(() => !document.querySelector('#viewer').classList.contains('loading'));
}

const removeRequests = () => requested.filter((url) => url.endsWith('/remove-bg')).length;

test('two dropped photos and a picked text file become a grid of results', async () => {
  await drop([sample('rocket.jpg', 'image/jpeg'), sample('chelsea.png', 'image/png')]);
  await page.setInputFiles('#picker', {
    name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('this is text, not a picture\n'),
  });
  assert.equal(await page.locator('.tile').count(), 3, 'one tile per file, at once: no start button');
  await page.locator('#activity', { hasText: /^Photo [12] of 3/ }).waitFor({ timeout: 60_000 });
  await page.locator('.tile.done').nth(1).waitFor({ timeout: 240_000 });
  await tile('notes.png').and(page.locator('.failed')).waitFor({ timeout: 60_000 });

  for (const [name, width, height] of [['rocket.jpg', 640, 427], ['chelsea.png', 451, 300]]) {
    assert.match(await tile(name).locator('.tile-status').textContent(), /^Done in \d+\.\d s$/);
    const thumbnail = await tile(name).locator('img.tile-image').evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(thumbnail, [width, height], `the tile of ${name} shows its cut-out`);
  }
  const error = await tile('notes.png').locator('.tile-status').textContent();
  assert.match(error, /not a picture rmbg can open/, 'the error is on the file, in plain words');
  assert.equal(await page.locator('#batch-summary').textContent(), '2 of 3 done · 1 could not be processed');
  await page.locator('#activity').waitFor({ state: 'hidden' });  // nothing to say once everything is done

  await tile('notes.png').getByRole('button', { name: 'Remove notes.png' }).click();
  assert.equal(await page.locator('.tile').count(), 2, 'one result removed');
  assert.equal(await page.locator('#batch-summary').textContent(), '2 of 2 done');
});

test('the first result opens by itself, with its downloads in view on a laptop', async () => {
  assert.equal(await page.locator('#viewer-name').textContent(), 'rocket.jpg');
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const button of ['#download', '#download-alpha']) {
    const box = await page.locator(button).boundingBox();
    assert.ok(box.y + box.height <= LAPTOP.height, `${button} is in view without scrolling: ${JSON.stringify(box)}`);
  }
  await openResult('chelsea.png');
  assert.match(await tile('chelsea.png').getAttribute('class'), /\bopen\b/);
  await openResult('rocket.jpg');
});

test('downloads are made by the page from the one result, in each format and size', async () => {
  const before = removeRequests();
  const png = await download(page.locator('#download'));
  assert.equal(png.name, 'rocket-cutout.png');
  assert.deepEqual(pngHeader(png.bytes), { width: 640, height: 427, depth: 8, colourType: 6 });
  const alphaOfPng = channelRange(await decode(png.bytes), 3);
  assert.ok(alphaOfPng.min < 10 && alphaOfPng.max > 245, `alpha not constant: ${JSON.stringify(alphaOfPng)}`);

  const alpha = await download(page.locator('#download-alpha'));
  assert.equal(alpha.name, 'rocket-alpha.png');
  assert.deepEqual(pngHeader(alpha.bytes), { width: 640, height: 427, depth: 8, colourType: 0 });
  const mask = await decode(alpha.bytes);
  const png4 = await decode(png.bytes);
  let largest = 0;
  for (let i = 0; i < mask.pixels.length; i += 4) largest = Math.max(largest, Math.abs(mask.pixels[i] - png4.pixels[i + 3]));
  assert.ok(largest <= 1, `the alpha download is the cut-out's alpha (largest difference ${largest})`);

  await page.locator('#backgrounds').getByLabel('Blue').check();
  await page.selectOption('#download-format', 'jpeg');
  await page.selectOption('#download-size', '500');
  const jpeg = await download(page.locator('#download'));
  assert.equal(jpeg.name, 'rocket-438edb.jpg');
  const blue = await decode(jpeg.bytes);
  assert.deepEqual([blue.width, blue.height], [500, 334]);
  const corner = blue.at(2, 2);
  [0x43, 0x8e, 0xdb].forEach((value, c) => assert.ok(Math.abs(corner[c] - value) <= 6, `blue corner: ${corner}`));

  await page.selectOption('#download-format', 'webp');
  await page.selectOption('#download-size', '0');
  await page.locator('#backgrounds').getByLabel('Transparent').check();
  const webp = await download(page.locator('#download'));
  assert.equal(webp.name, 'rocket-cutout.webp');
  assert.equal(webp.bytes.subarray(8, 12).toString('latin1'), 'WEBP');
  const clear = await decode(webp.bytes);
  assert.deepEqual([clear.width, clear.height], [640, 427]);
  assert.ok(channelRange(clear, 3).min < 10, 'transparent where the background was');
  assert.equal(removeRequests(), before, 'no download asked the server again');
  await page.selectOption('#download-format', 'png');
});

// Where the photograph's pixel (x, y) is on the screen, at the view's zoom and centre.
async function screenPoint(x, y, zoom = 1, centre = [320, 213.5]) {
  const box = await page.locator('#stage').boundingBox();
  const scale = (box.width / 640) * zoom;
  return [box.x + box.width / 2 + (x - centre[0]) * scale, box.y + box.height / 2 + (y - centre[1]) * scale];
}

async function stroke(points, zoom, centre) {
  const [first, ...rest] = points;
  await page.mouse.move(...await screenPoint(...first, zoom, centre));
  await page.mouse.down();
  for (const point of rest) await page.mouse.move(...await screenPoint(...point, zoom, centre), { steps: 4 });
  await page.mouse.up();
}

// The grey values of the alpha download.
async function alphaNow() {
  const { pixels, width } = await decode((await download(page.locator('#download-alpha'))).bytes);
  const grey = new Uint8Array(pixels.length / 4);
  for (let i = 0; i < grey.length; i++) grey[i] = pixels[i * 4];
  return { grey, width };
}

// Distance from (x, y) to the segment from a to b.
function distance(x, y, [ax, ay], [bx, by]) {
  const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2 || 1)));
  return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
}

// Compares two alphas: inside the brush's path (its radius less a pixel and a half, for the
// edge's antialiasing and the pointer's rounding) every value must be `inside`; farther than the
// radius and as much, nothing may have changed.
function expectPaintedOnlyAlong(before, after, path, radius, inside) {
  let changedOutside = 0;
  let wrongInside = 0;
  let insideCount = 0;
  for (let i = 0; i < before.grey.length; i++) {
    const x = (i % before.width) + 0.5;  // the pixel's centre
    const y = Math.floor(i / before.width) + 0.5;
    const d = Math.min(...path.slice(1).map((point, k) => distance(x, y, path[k], point)));
    if (d <= radius - 1.5) {
      insideCount++;
      if (after.grey[i] !== inside) wrongInside++;
    } else if (d > radius + 1.5 && after.grey[i] !== before.grey[i]) changedOutside++;
  }
  assert.ok(insideCount > 100, 'the path covers pixels');
  assert.equal(wrongInside, 0, `every pixel under the brush is ${inside}`);
  assert.equal(changedOutside, 0, 'nothing changed away from the brush');
}

test('the brushes change the downloaded alpha where painted and nowhere else; undo and redo', async () => {
  const untouched = await alphaNow();
  const brushOnScreen = 24;
  await page.locator('#brush-size').fill(String(brushOnScreen));
  const stageWidth = (await page.locator('#stage').boundingBox()).width;

  // Erase across the rocket (opaque there), at the fitted view.
  await page.locator('#tools').getByLabel('Erase').check();
  const erasePath = [[300, 150], [340, 200], [330, 260]];
  await stroke(erasePath);
  const erased = await alphaNow();
  expectPaintedOnlyAlong(untouched, erased, erasePath, (brushOnScreen / 2) * (640 / stageWidth), 0);

  // Restore some of the sky, zoomed in twice around the middle: the brush is smaller in the photograph.
  await page.locator('#zoom-in').click();
  await page.locator('#zoom-in').click();
  assert.equal(await page.locator('#zoom-value').textContent(), '225%');
  await page.locator('#tools').getByLabel('Restore').check();
  const restorePath = [[200, 180], [230, 190]];
  await stroke(restorePath, 2.25);
  const restored = await alphaNow();
  expectPaintedOnlyAlong(erased, restored, restorePath, (brushOnScreen / 2) * (640 / stageWidth) / 2.25, 255);

  await page.locator('#undo').click();
  assert.deepEqual((await alphaNow()).grey, erased.grey, 'undo takes the restore back');
  await page.keyboard.press('Control+Shift+Z');
  assert.deepEqual((await alphaNow()).grey, restored.grey, 'redo puts it back');
  await page.locator('#zoom-fit').click();
  assert.equal(await page.locator('#zoom-value').textContent(), '100%');

  // Downloads use the touched-up alpha, in every format.
  await page.selectOption('#download-format', 'png');
  const png = await decode((await download(page.locator('#download'))).bytes);
  assert.equal(png.at(340, 200)[3], 0, 'erased in the PNG, on the stroke');
  await page.locator('#tools').getByLabel('Compare').check();
});

test('a picture of your own and the photo blurred as backgrounds', async () => {
  await page.locator('#backgrounds').getByLabel('Blurred').check();
  await page.selectOption('#download-format', 'jpeg');
  const blurred = await decode((await download(page.locator('#download'))).bytes);
  const original = await decode(readFileSync(path.join(testdata, 'rocket.jpg')));
  const erasedPoint = [340, 200];  // on the stroke erased above: the blurred photograph shows through
  const shown = blurred.at(...erasedPoint);
  const below = original.at(...erasedPoint);
  assert.ok(shown.slice(0, 3).some((v, c) => Math.abs(v - below[c]) > 3), 'not the sharp photograph');
  assert.ok(shown.slice(0, 3).some((v) => v < 235), 'not white either');

  const picture = page.waitForEvent('filechooser');
  await page.locator('#backgrounds').getByText('Picture…').click();
  await (await picture).setFiles(path.join(testdata, 'coffee.png'));
  await page.waitForFunction(() => document.querySelector('#backgrounds input[value="picture"]').checked);
  await page.selectOption('#download-format', 'png');
  const onPicture = await download(page.locator('#download'));
  assert.equal(onPicture.name, 'rocket-coffee.png');
  const composite = await decode(onPicture.bytes);
  assert.equal(channelRange(composite, 3).min, 255, 'the picture fills the whole background');
  assert.notDeepEqual(composite.at(...erasedPoint), blurred.at(...erasedPoint));
  await page.locator('#backgrounds').getByLabel('Transparent').check();
});

test('download all gives one ZIP of the cut-outs, touched up where they were', async () => {
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

test('a HEIC photo from a phone gets a result and a preview of its original from the server', async () => {
  execFileSync('vips', ['copy', path.join(testdata, 'rocket.jpg'), path.join(scratch, 'phone.heic')]);
  await drop([sample('phone.heic', '', scratch)]);
  await tile('phone.heic').and(page.locator('.done')).waitFor({ timeout: 240_000 });
  await openResult('phone.heic');
  assert.ok(requested.some((url) => url.endsWith('/api/preview')), 'the browser cannot draw HEIC: it asks the server');
  // The original shows left of the split: the preview, not the cut-out (transparent in the sky).
  const shownOriginal = await page.locator('.view-original').evaluate((canvas) =>
    canvas.getContext('2d').getImageData(canvas.width * 0.4, canvas.height * 0.2, 1, 1).data[3]);
  assert.equal(shownOriginal, 255, 'the original, opaque where the cut-out is not');
  const alpha = await download(page.locator('#download-alpha'));
  assert.equal(alpha.name, 'phone-alpha.png');
  assert.deepEqual(pngHeader(alpha.bytes), { width: 640, height: 427, depth: 8, colourType: 0 });
});

test('the page works from the keyboard', async () => {
  await page.locator('#drop').focus();
  for (const key of ['Enter', ' ']) {
    const chooser = await chooserOpenedBy(() => page.keyboard.press(key));
    assert.ok(chooser, `${JSON.stringify(key)} on the drop zone opens the file picker`);
    assert.ok(chooser.isMultiple(), 'for several files');
    await chooser.setFiles([]);  // closes it: the browser opens one picker at a time
  }
  await openResult('rocket.jpg');
  const split = page.locator('#split');
  await split.focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
  assert.equal(await split.inputValue(), '40');
  const clip = await page.locator('.view-original').evaluate((canvas) => canvas.style.clipPath);
  assert.equal(clip, 'inset(0px 60% 0px 0px)', 'the original shows left of the split only');
});

test('the ID photo tab explains the rule, follows the language, and fits 6 US photos on a 4x6 in sheet', async () => {
  await page.getByRole('tab', { name: 'ID photo' }).click();
  assert.equal(await page.locator('#panel-remove').isVisible(), false, 'one tab at a time');
  await page.locator('#id-size option[value="us-visa"]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('#id-size').inputValue(), 'us-visa', 'en-US: the US size');
  assert.match(await page.locator('#id-rule').textContent(),
               /^US passport and visa: 50\.8×50\.8 mm \(2×2 in\), 600×600 px at 300 DPI\. Head 25\.4–34\.9 mm from chin to top of hair, the eyes 28\.6–34\.9 mm above the bottom edge\. Rule: .*travel\.state\.gov/);
  await page.locator('#id-background').getByLabel('Blue').check();
  await page.setInputFiles('#id-picker', path.join(testdata, 'astronaut.png'));
  await page.locator('#id-status', { hasText: /^Done in/ }).waitFor({ timeout: 240_000 });

  assert.deepEqual(await page.locator('#id-photo').evaluate((img) => [img.naturalWidth, img.naturalHeight]), [600, 600]);
  assert.match(await page.locator('#id-sheet-caption').textContent(), /^6 copies on a 6-inch/);
  const photo = await download(page.locator('#id-download-photo'));
  assert.equal(photo.name, 'astronaut-us-visa.jpg');
  const corner = (await decode(photo.bytes)).at(3, 3);
  corner.slice(0, 3).forEach((value, c) => assert.ok(Math.abs(value - [0x43, 0x8e, 0xdb][c]) <= 3, `blue corner: ${corner}`));
  assert.equal(photo.bytes.subarray(6, 11).toString('latin1'), 'JFIF\0');
  assert.equal(photo.bytes.readUInt16BE(14), 300, 'the DPI is in the file');
  const sheet = await decode((await download(page.locator('#id-download-sheet'))).bytes);
  assert.equal(sheet.width * sheet.height, 1200 * 1800);
  sheet.at(2, 2).slice(0, 3).forEach((value, c) =>
    assert.ok(Math.abs(value - [0x43, 0x8e, 0xdb][c]) <= 16, `photos out to the paper's edge: ${sheet.at(2, 2)}`));

  // A photo with no face says so, and the last good result goes away.
  await page.setInputFiles('#id-picker', path.join(testdata, 'chelsea.png'));
  await page.locator('#id-status.failed').waitFor({ timeout: 120_000 });
  assert.match(await page.locator('#id-status').textContent(), /cannot make an ID photo: no face found/);
  assert.equal(await page.locator('#id-result').isVisible(), false);
  if (artifacts) await page.screenshot({ path: path.join(artifacts, 'page-idphoto.png'), fullPage: true });
  await page.getByRole('tab', { name: 'Remove background' }).click();

  for (const [locale, size] of [['de-DE', 'schengen'], ['en-GB', 'uk-passport'], ['ja-JP', 'japan-visa'], ['pt-BR', '1inch']]) {
    const context = await browser.newContext({ locale });
    const other = await context.newPage();
    await other.goto(server.url);
    await other.locator('#id-size option[value="us-visa"]').waitFor({ state: 'attached' });
    assert.equal(await other.locator('#id-size').inputValue(), size, `${locale}: ${size}`);
    await context.close();
  }
});

test('the video tab cuts a clip out as a job, plays the result and downloads it', async () => {
  const clip = path.join(scratch, 'rocket.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '4', '-i', path.join(testdata, 'rocket.jpg'),
                          '-frames:v', '3', '-vf', 'scale=240:-2', '-pix_fmt', 'yuv420p', clip]);
  await page.getByRole('tab', { name: 'Video' }).click();
  await page.setInputFiles('#video-picker', clip);
  await page.locator('#video-status', { hasText: /^Done in .*: 3 frames/ }).waitFor({ timeout: 180_000 });
  assert.equal(await page.locator('#video-stage video').count(), 1, 'Chromium plays the WebM with its transparency');
  const { name, bytes } = await download(page.locator('#video-download'));
  assert.equal(name, 'rocket-cutout.webm');
  assert.equal(bytes.readUInt32BE(0), 0x1a45dfa3, 'a WebM (Matroska) file');

  await page.setInputFiles('#video-picker', { name: 'notes.mp4', mimeType: 'video/mp4', buffer: Buffer.from('not a clip\n') });
  await page.locator('#video-status.failed', { hasText: 'not a video rmbg can open' }).waitFor();
  await page.getByRole('tab', { name: 'Remove background' }).click();
});

test('the top-right corner shows live CPU use, and GPU as none', async () => {
  await page.waitForFunction(() => /^\d+%$/.test(document.querySelector('#cpu-value').textContent));
  assert.equal(await page.locator('#gpu-value').textContent(), 'none');
  const corner = await page.locator('#usage').boundingBox();
  assert.ok(corner.x + corner.width > LAPTOP.width - 40 && corner.y < 40, 'in the top-right corner');
});

test('nothing is loaded from anywhere but rmbg, and no script failed', () => {
  const outside = requested.filter((url) => !url.startsWith(server.url) && !/^(blob|data):/.test(url));
  assert.deepEqual(outside, []);
  assert.deepEqual(scriptErrors, []);
});

test('the page fits a laptop and a phone, where nothing says "drop"', async () => {
  if (artifacts) mkdirSync(artifacts, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  if (artifacts) await page.screenshot({ path: path.join(artifacts, 'page-laptop.png'), fullPage: true });

  await page.locator('#clear-all').click();
  assert.equal(await page.locator('.tile').count(), 0, 'clear all');
  assert.equal(await page.locator('#viewer').isVisible(), false);

  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'en-US' });
  const small = await phone.newPage();
  await small.goto(server.url);
  assert.equal(await small.locator('#drop .drop-title').textContent(), 'Choose photos');
  for (const tab of ['Remove background', 'ID photo', 'Video']) {
    await small.getByRole('tab', { name: tab }).click();
    await small.locator('#id-size option').first().waitFor({ state: 'attached' });
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(overflow, 0, `no sideways scrolling at 360 px on the ${tab} tab`);
  }
  assert.doesNotMatch(await small.locator('#id-drop .drop-title').textContent(), /drop/i);
  if (artifacts) await small.screenshot({ path: path.join(artifacts, 'page-phone.png'), fullPage: true });
  await phone.close();
});

test('under a base path with an API key, the page asks for the key once, then works', async () => {
  const keyed = await startServer(['--api-key', 'k-right', '--base-path', '/rmbg'], { basePath: '/rmbg' });
  const context = await browser.newContext({ viewport: LAPTOP, locale: 'en-US' });
  try {
    const tab = await context.newPage();
    const seen = [];
    tab.on('request', (request) => seen.push(request.url()));
    await tab.goto(keyed.url);  // without the final slash: the server adds it
    assert.equal(tab.url(), `${keyed.url}/`);
    const dialog = tab.locator('#key-dialog');
    await dialog.waitFor();  // the ID photo tab's sizes are refused at once, before any photo
    await tab.fill('#key-input', 'k-wrong');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await tab.locator('#key-refused').waitFor();
    await tab.fill('#key-input', 'k-right');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const rocket = sample('rocket.jpg', 'image/jpeg');
    await tab.setInputFiles('#picker', { name: rocket.name, mimeType: rocket.type, buffer: Buffer.from(rocket.base64, 'base64') });
    await tab.locator('.tile.done').waitFor({ timeout: 120_000 });

    await tab.reload();
    await tab.locator('#id-size option').first().waitFor({ state: 'attached' });
    assert.equal(await dialog.isVisible(), false, 'the key is asked for once');
    const outside = seen.filter((url) => url !== keyed.url && !url.startsWith(`${keyed.url}/`) && !/^(blob|data):/.test(url));
    assert.deepEqual(outside, [], 'every request stays under the base path');
  } finally {
    await context.close();
    assert.equal(await keyed.stop(), 0);
  }
});
