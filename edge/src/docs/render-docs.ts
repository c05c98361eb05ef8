import { esc, inline } from './html';
import { type JsonSchema, schemaLink, schemaTable } from './schema-table';

interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes?: Record<string, { description?: string }>;
  };
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2330;background:#fff}
main{max-width:1040px;margin:0 auto;padding:24px}
nav{position:sticky;top:0;background:#f6f7f9;border-bottom:1px solid #dde1e7;padding:8px 24px;font-size:13px}
nav a{margin-right:12px}
h1{margin-top:0}h2{border-bottom:2px solid #dde1e7;padding-bottom:4px;margin-top:40px}
section.op{border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin:16px 0}
.method{display:inline-block;min-width:56px;text-align:center;border-radius:4px;padding:1px 6px;color:#fff;font-weight:600;font-size:12px;text-transform:uppercase}
.get{background:#2f7d32}.post{background:#1565c0}.put{background:#6a1b9a}.patch{background:#ef6c00}.delete{background:#c62828}
.path{font-family:ui-monospace,Menlo,monospace;font-size:15px;margin-left:8px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #eceef2;text-align:left;padding:4px 6px;vertical-align:top}
code{background:#f1f3f6;border-radius:3px;padding:0 3px;font-size:12.5px}
.req{color:#c62828;font-size:11px}.auth{color:#555;font-size:13px}
a{color:#1565c0;text-decoration:none}a:hover{text-decoration:underline}
`;

const AUTH_LABEL: Record<string, string> = {
  apiKey: 'API key (<code>Authorization: Bearer ldm_live_...</code>)',
  adminToken: 'admin token',
  workerToken: 'worker token',
};

function authOf(op: Operation): string {
  const schemes = (op.security ?? []).map((s) => Object.keys(s)[0]);
  if (!schemes.length) return 'none';
  return schemes.map((s) => (s ? (AUTH_LABEL[s] ?? esc(s)) : 'a signed URL')).join(' or ');
}

function schemaRef(schema: JsonSchema | undefined): string {
  if (!schema) return '';
  return schema.$ref ? schemaLink(schema.$ref.split('/').pop() as string) : '';
}

function renderOperation(path: string, method: string, op: Operation): string {
  const params = op.parameters?.length
    ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>description</th></tr></thead><tbody>${op.parameters
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${inline(p.description ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  const body = op.requestBody
    ? `<h4>Body</h4><p>${Object.entries(op.requestBody.content)
        .map(([type, c]) => `<code>${esc(type)}</code> ${schemaRef(c.schema)}`)
        .join(', ')}</p>`
    : '';
  const responses = Object.entries(op.responses)
    .map(([status, r]) => {
      const content = Object.entries(r.content ?? {})
        .map(([type, c]) => `<code>${esc(type)}</code> ${schemaRef(c.schema)}`)
        .join(', ');
      return `<tr><td>${esc(status)}</td><td>${inline(r.description)}</td><td>${content}</td></tr>`;
    })
    .join('');
  return `<section class="op" id="op-${esc(op.operationId)}">
<div><span class="method ${esc(method)}">${esc(method)}</span><span class="path">${esc(path)}</span></div>
<p>${inline(op.summary)}</p><p class="auth">Auth: ${authOf(op)}</p>${params}${body}
<h4>Responses</h4><table><thead><tr><th>status</th><th>meaning</th><th>body</th></tr></thead><tbody>${responses}</tbody></table>
</section>`;
}

/** The API reference as one self-contained HTML page (inline CSS, no script, nothing fetched). */
export function renderDocs(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(path, method, op)]);
    }
  }
  const tags = [...byTag.keys()];
  const schemas = Object.entries(doc.components.schemas)
    .map(
      ([name, schema]) =>
        `<section class="op" id="schema-${esc(name)}"><h3>${esc(name)}</h3>${inline(schema.description ?? '')}${schemaTable(schema)}</section>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(doc.info.title)} reference</title><style>${STYLE}</style></head><body>
<nav>${tags.map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join('')}<a href="#schemas">Schemas</a><a href="/openapi.json">openapi.json</a></nav>
<main><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${inline(doc.info.description ?? '')}</p>
${tags.map((t) => `<h2 id="tag-${esc(t)}">${esc(t)}</h2>${(byTag.get(t) ?? []).join('')}`).join('')}
<h2 id="schemas">Schemas</h2>${schemas}</main></body></html>`;
}
