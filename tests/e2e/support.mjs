// Shared by the Node tests: a real `rmbg serve` on a free loopback port, and reading PNG headers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';

export const binary = process.env.RMBG_BINARY;
export const testdata = process.env.RMBG_TESTDATA_DIR;

// playwright-core lives in the cache that scripts/bootstrap fills, not in the repository.
export function requireFromCache(name) {
  return createRequire(path.join(process.env.RMBG_NODE_DIR, 'package.json'))(name);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Resolves once /api/health says the model is loaded. `basePath` is the server's --base-path, if
// `args` give it one: the returned url includes it.
export async function startServer(args = [], { basePath = '' } = {}) {
  if (!binary) throw new Error('RMBG_BINARY is not set: run the tests through ctest');
  const port = await freePort();
  const child = spawn(binary, ['serve', '--port', String(port), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}${basePath}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`rmbg serve exited with ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}/api/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`rmbg serve did not become ready:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

// Width, height, bit depth and colour type (6 RGBA, 2 RGB, 0 grey) from a PNG's IHDR chunk.
export function pngHeader(bytes) {
  assert.equal(bytes.subarray(0, 8).toString('latin1'), '\x89PNG\r\n\x1a\n', 'a PNG file');
  assert.equal(bytes.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), depth: bytes[24], colourType: bytes[25] };
}
