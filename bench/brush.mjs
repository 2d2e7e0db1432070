// bench/brush.sh runs this: see there.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { requireFromCache, startServer, testdata } from '../tests/e2e/support.mjs';

const { chromium } = requireFromCache('playwright-core');
const strokes = Number(process.env.BRUSH_STROKES) || 3;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'rmbg-brush-'));
const photo = path.join(scratch, 'large.jpg');
execFileSync('vips', ['resize', path.join(testdata, 'rocket.jpg'), photo, '6.5', '--vscale', '7.03']);

const server = await startServer();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(server.url);
  await page.setInputFiles('#picker', photo);
  await page.locator('.tile.done').waitFor({ timeout: 600_000 });
  await page.waitForFunction(() => !document.querySelector('#viewer').hidden &&
                                   !document.querySelector('#viewer').classList.contains('loading'), null, { timeout: 120_000 });
  await page.locator('#tools input[value="erase"]').check();
  await page.evaluate(() => {
    // The page's time over each pointer move, from the first listener to the last.
    window.times = { moves: [], frames: [], ends: [] };
    let started = 0;
    for (const [type, list] of [['pointermove', 'moves'], ['pointerup', 'ends']]) {
      window.addEventListener(type, () => { started = performance.now(); }, { capture: true });
      window.addEventListener(type, () => window.times[list].push(performance.now() - started));
    }
    let last = performance.now();
    const frame = (now) => {
      window.times.frames.push(now - last);
      last = now;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  const box = await page.locator('#stage').boundingBox();
  const redraws = [];
  for (let s = 0; s < strokes; s++) {
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * (0.3 + 0.1 * s));
    await page.mouse.down();
    for (let i = 1; i <= 60; i++)
      await page.mouse.move(box.x + box.width * (0.2 + 0.6 * i / 60), box.y + box.height * (0.3 + 0.1 * s + 0.1 * Math.sin(i / 6)));
    const released = Date.now();
    await page.mouse.up();
    await page.waitForFunction((n) => document.querySelector('#undo').disabled === false && window.times, s);
    redraws.push(Date.now() - released);
  }
  const { moves, frames, ends } = await page.evaluate(() => window.times);
  const sorted = (values) => [...values].sort((a, b) => a - b);
  const at = (values, q) => sorted(values)[Math.min(values.length - 1, Math.floor(values.length * q))];
  const size = execFileSync('vipsheader', [photo]).toString().trim();
  console.log(`photograph: ${size}`);
  console.log(`${moves.length} pointer moves over ${strokes} strokes: median ${at(moves, 0.5).toFixed(2)} ms, ` +
              `95th percentile ${at(moves, 0.95).toFixed(2)} ms, largest ${at(moves, 1).toFixed(2)} ms`);
  console.log(`frames: median ${at(frames, 0.5).toFixed(1)} ms, 95th percentile ${at(frames, 0.95).toFixed(1)} ms, ` +
              `the ${strokes} longest ${sorted(frames).slice(-strokes).map((t) => t.toFixed(1)).join(', ')} ms`);
  console.log(`the page's time at each stroke's end (redraw included): ${ends.map((t) => t.toFixed(1)).join(', ')} ms`);
  console.log(`the same with the round trip of the test driver: ${redraws.join(', ')} ms`);
} finally {
  await browser.close();
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
}
