// Downloads made by the page itself from the one result it has: the touched-up cut-out on the
// chosen background, in PNG, WebP or JPEG at the chosen size; the alpha alone as a grey PNG; and
// ZIP archives of several. Nothing is sent to the server again.
'use strict';

import { paintBackground } from './editor.js';

export const FORMATS = {
  png: { type: 'image/png', extension: 'png', label: 'PNG' },
  webp: { type: 'image/webp', extension: 'webp', label: 'WebP' },
  jpeg: { type: 'image/jpeg', extension: 'jpg', label: 'JPEG' },
};
const QUALITY = 0.92;

// Width and height of a photograph of `width` x `height` with its long side made `longSide`
// (never larger than it is); the photograph's own size when `longSide` is 0.
export function outputSize(width, height, longSide) {
  const scale = longSide ? Math.min(1, longSide / Math.max(width, height)) : 1;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

// The touched-up cut-out of `editor` on `background` (null: transparent, or white for JPEG,
// which has no transparency), as a Blob of `format`, its long side `longSide` (0: as it is).
export async function composite(editor, background, format, longSide) {
  const { width, height } = outputSize(editor.width, editor.height, longSide);
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  context.imageSmoothingQuality = 'high';
  context.scale(width / editor.width, height / editor.height);
  paintBackground(context, background || (format === 'jpeg' ? { colour: '#ffffff' } : null), editor);
  context.drawImage(editor.result, 0, 0);
  return canvas.convertToBlob({ type: FORMATS[format].type, quality: QUALITY });
}

// The alpha of the touched-up cut-out as an 8-bit grey PNG, its long side `longSide`.
export async function alphaPng(editor, longSide) {
  const { width, height } = outputSize(editor.width, editor.height, longSide);
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  context.imageSmoothingQuality = 'high';
  context.drawImage(editor.result, 0, 0, width, height);
  const rgba = context.getImageData(0, 0, width, height).data;
  // Each row starts with its filter type, 0 (none).
  const rows = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width + 1);
    const from = y * width * 4 + 3;
    for (let x = 0; x < width; x++) rows[row + 1 + x] = rgba[from + x * 4];
  }
  return greyPng(width, height, rows);
}

async function deflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function chunk(type, data) {
  const typeAndData = new Uint8Array(4 + data.length);
  typeAndData.set(new TextEncoder().encode(type));
  typeAndData.set(data, 4);
  const framed = new Uint8Array(12 + data.length);
  const view = new DataView(framed.buffer);
  view.setUint32(0, data.length);
  framed.set(typeAndData, 4);
  view.setUint32(8 + data.length, crc32(typeAndData));
  return framed;
}

async function greyPng(width, height, filteredRows) {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8);  // 8 bits, grey, deflate, no filter choice, not interlaced
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Blob([signature, chunk('IHDR', header), chunk('IDAT', await deflate(filteredRows)),
                   chunk('IEND', new Uint8Array(0))], { type: 'image/png' });
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

// A ZIP archive of `files` ({name, bytes}), stored without compression: images are compressed
// already, and this keeps the writer small enough to check by eye.
export function zipArchive(files) {
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

export function saveBlob(blob, name) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}
