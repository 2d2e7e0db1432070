// Checks every object of deploy/kubernetes/*.yaml against the JSON schema of its kind: the
// Kubernetes API's own (kubernetes-models) and KEDA's CRDs (@kubernetes-models/keda).
//   node tests/deploy/validate_manifests.mjs [FILE.yaml ...]
// Modules are looked for in RMBG_DEPLOY_NODE_DIR/node_modules (scripts/bootstrap --tests).
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(process.env.RMBG_DEPLOY_NODE_DIR ?? here, "node_modules");
const load = (path) => import(pathToFileURL(join(modules, path)).href);
const { parseAllDocuments } = await load("yaml/dist/index.js");

// "apps/v1" -> kubernetes-models/apps/v1, "v1" -> kubernetes-models/v1, "keda.sh/..." -> KEDA's.
function modelPath(apiVersion, kind) {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}/${kind}.js`;
  return `kubernetes-models/${apiVersion}/${kind}.js`;
}

const folder = join(here, "../../deploy/kubernetes");
const files = process.argv.length > 2 ? process.argv.slice(2)
  : readdirSync(folder).filter((name) => name.endsWith(".yaml")).map((name) => join(folder, name));
let objects = 0, problems = 0;
for (const file of files) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length) {
      console.error(`${file}: ${document.errors.join("; ")}`);
      problems++;
      continue;
    }
    const object = document.toJS();
    if (!object) continue;
    const name = `${file}: ${object.kind} ${object.metadata?.name}`;
    try {
      const Model = (await load(modelPath(object.apiVersion, object.kind)))[object.kind];
      new Model(object).validate();
      console.log(`ok   ${name}`);
      objects++;
    } catch (error) {
      console.error(`FAIL ${name}: ${error.message}`);
      problems++;
    }
  }
}
console.log(`${objects} passed, ${problems} failed`);
process.exit(problems ? 1 : 0);
