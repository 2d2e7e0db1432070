// The API page: reads openapi.json beside it and lists every route with its fields and answers.
'use strict';

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function resolve(spec, value) {
  if (!value || !value.$ref) return value || {};
  return value.$ref.replace(/^#\//, '').split('/').reduce((node, key) => node[key], spec);
}

function describeSchema(schema) {
  const parts = [schema.type || ''];
  if (schema.format) parts.push(`(${schema.format})`);
  if (schema.enum) parts.push(`one of ${schema.enum.join(', ')}`);
  if (schema.default !== undefined) parts.push(`default ${schema.default}`);
  return parts.join(' ');
}

function table(headings, rows) {
  const node = element('table');
  const head = node.createTHead().insertRow();
  for (const heading of headings) head.appendChild(element('th', heading));
  const body = node.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) tr.insertCell().textContent = cell;
  }
  return node;
}

function operationSection(spec, path, method, operation) {
  const section = element('section');
  section.id = operation.operationId || `${method}-${path}`;
  const heading = element('h3');
  heading.append(element('span', method, `method ${method}`), ' ', element('span', path, 'path'));
  section.appendChild(heading);
  if (operation.summary) section.appendChild(element('p', operation.summary));
  if (operation.description) section.appendChild(element('p', operation.description, 'muted'));
  const parameters = (operation.parameters || []).map((p) => resolve(spec, p));
  if (parameters.length)
    section.appendChild(table(['Parameter', 'In', 'Type', 'Description'],
      parameters.map((p) => [p.name + (p.required ? ' *' : ''), p.in, describeSchema(p.schema || {}), p.description || ''])));
  const content = resolve(spec, operation.requestBody).content || {};
  for (const [mediaType, body] of Object.entries(content)) {
    const schema = resolve(spec, body.schema);
    const required = schema.required || [];
    const rows = Object.entries(schema.properties || {}).map(([name, field]) =>
      [name + (required.includes(name) ? ' *' : ''), describeSchema(field), field.description || '']);
    section.appendChild(element('p', `Body: ${mediaType}`, 'muted'));
    if (rows.length) section.appendChild(table(['Field', 'Type', 'Description'], rows));
  }
  const responses = Object.entries(operation.responses || {}).map(([status, response]) =>
    [status, resolve(spec, response).description || '', Object.keys(resolve(spec, response).content || {}).join(', ')]);
  section.appendChild(table(['Status', 'Meaning', 'Content'], responses));
  return section;
}

async function show() {
  const spec = await (await fetch('openapi.json')).json();
  document.getElementById('title').textContent = `${spec.info.title} ${spec.info.version} API`;
  document.getElementById('summary').textContent = spec.info.description;
  const byTag = new Map((spec.tags || []).map((tag) => [tag.name, []]));
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const tag = (operation.tags || ['other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operationSection(spec, path, method, operation));
    }
  }
  const main = document.getElementById('operations');
  const contents = document.getElementById('contents');
  for (const [tag, sections] of byTag) {
    if (!sections.length) continue;
    const about = (spec.tags || []).find((t) => t.name === tag);
    const heading = element('h2', tag);
    heading.id = `tag-${tag}`;
    main.appendChild(heading);
    if (about && about.description) main.appendChild(element('p', about.description, 'muted'));
    for (const section of sections) main.appendChild(section);
    const link = element('a', tag);
    link.href = `#tag-${tag}`;
    contents.appendChild(link);
  }
}

show().catch((error) => {
  document.getElementById('summary').textContent = `Cannot read openapi.json: ${error.message}`;
});
