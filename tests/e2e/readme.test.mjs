// The API examples of the README, run as they are written (curl, Python requests, Node fetch)
// against a real `rmbg serve`, with only its address changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { pngHeader, startServer, testdata } from './support.mjs';

function apiSection() {
  const readme = readFileSync(path.join(process.env.RMBG_SOURCE_DIR, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## The HTTP API');
  assert.ok(start >= 0, 'the README has a section "The HTTP API"');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

test('the API examples of the README work as written', async () => {
  const blocks = [...apiSection().matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, language, code]) => ({ language, code }));
  const isVideo = (block) => block.code.includes('/api/video');
  const curlLines = blocks.filter((b) => b.language === 'sh' && !isVideo(b)).flatMap((b) => b.code.split('\n'))
    .filter((line) => line.startsWith('curl '));
  const video = blocks.filter((b) => b.language === 'sh' && isVideo(b));
  const python = blocks.filter((b) => b.language === 'python');
  const javascript = blocks.filter((b) => b.language === 'js');
  assert.equal(curlLines.length, 6);
  assert.equal(python.length, 1);
  assert.equal(javascript.length, 1);
  assert.equal(video.length, 1);

  const server = await startServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rmbg-readme-'));
  try {
    // A product shot: the coffee cup sample (600x400, the cup in the middle), as a JPEG; a portrait:
    // the astronaut.
    execFileSync('vips', ['copy', path.join(testdata, 'coffee.png'), path.join(dir, 'product.jpg')]);
    execFileSync('vips', ['copy', path.join(testdata, 'astronaut.png'), path.join(dir, 'portrait.jpg')]);
    const here = (code) => code.replaceAll('http://localhost:8000', server.url);
    for (const line of curlLines) execSync(here(line), { cwd: dir });
    // A clip: 3 frames of the coffee cup.
    execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-framerate', '4', '-i', path.join(testdata, 'coffee.png'),
                            '-frames:v', '3', '-vf', 'scale=240:-2', '-pix_fmt', 'yuv420p', path.join(dir, 'clip.mp4')]);
    execFileSync('bash', ['-euo', 'pipefail', '-c', here(video[0].code)], { cwd: dir, timeout: 240_000 });
    writeFileSync(path.join(dir, 'example.py'), here(python[0].code));
    execFileSync('python3', ['example.py'], { cwd: dir });
    writeFileSync(path.join(dir, 'example.mjs'), here(javascript[0].code));
    execFileSync(process.execPath, ['example.mjs'], { cwd: dir });

    const output = (name) => readFileSync(path.join(dir, name));
    assert.deepEqual(pngHeader(output('result.png')), { width: 600, height: 400, depth: 8, colourType: 6 });
    assert.deepEqual(pngHeader(output('mask.png')), { width: 600, height: 400, depth: 8, colourType: 0 });
    assert.deepEqual([...output('blue.jpg').subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
    const white = pngHeader(output('white.png'));
    assert.equal(white.colourType, 2, 'on white: no transparency left');
    assert.ok(white.width * white.height < 600 * 400, 'cropped to the cup');
    const size = (name) => ['width', 'height'].map((field) =>
      Number(execFileSync('vipsheader', ['-f', field, path.join(dir, name)]).toString()));
    assert.deepEqual(size('id.jpg'), [295, 413], 'a 1-inch photo at 300 DPI');
    assert.equal(output('id.jpg').readUInt16BE(14), 300, 'its DPI in the JFIF header');
    assert.deepEqual(size('sheet.jpg'), [1200, 1800], 'a 6-inch sheet at 300 DPI');
    assert.equal(JSON.parse(output('sizes.json')).sizes.length, 10);
    assert.equal(output('clip.webm').readUInt32BE(0), 0x1a45dfa3, 'a WebM (Matroska) file');
    const webp = output('result.webp');
    assert.equal(webp.subarray(0, 4).toString('latin1') + webp.subarray(8, 12).toString('latin1'), 'RIFFWEBP');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    assert.equal(await server.stop(), 0);
  }
});

// The curl lines of the README's section "API compatibility", as written: remove.bg's and rembg's
// routes answered by rmbg.
test('the API compatibility examples of the README work as written', async () => {
  const readme = readFileSync(path.join(process.env.RMBG_SOURCE_DIR, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## API compatibility');
  assert.ok(start >= 0, 'the README has a section "API compatibility"');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap(([, code]) => code.replaceAll('\\\n', ' ').split('\n'))
    .filter((line) => line.includes('curl '));
  assert.equal(commands.length, 3);

  const server = await startServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rmbg-readme-compat-'));
  try {
    execFileSync('vips', ['copy', path.join(testdata, 'coffee.png'), path.join(dir, 'product.jpg')]);
    for (const command of commands) execSync(command.replaceAll('http://localhost:8000', server.url), { cwd: dir, shell: '/bin/sh' });
    const output = (name) => readFileSync(path.join(dir, name));
    assert.deepEqual(pngHeader(output('no-bg.png')), { width: 600, height: 400, depth: 8, colourType: 6 });
    const json = JSON.parse(output('result.json'));
    const jpeg = Buffer.from(json.data.result_b64, 'base64');
    assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG on the colour');
    assert.ok(json.data.foreground_width > 0);
    assert.equal(pngHeader(output('on-white.png')).colourType, 2, 'rembg bgc: no transparency left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    assert.equal(await server.stop(), 0);
  }
});
