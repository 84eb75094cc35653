/**
 * `renderRunbook({contract, policies, format})`: the operator runbook as Markdown or HTML.
 * Deterministic (no clock, no absolute paths unless given), so docs/RUNBOOK.md can be checked
 * for staleness byte for byte. Every section carries an explicit id (`<a id>` in Markdown), so
 * the anchors of core/runbook-anchors.ts resolve in both formats.
 */
import type { Contract } from '../contract/types.js';
import { type PolicySet, policySetOfContract } from '../rollout/policy-set.js';
import { type Block, buildRunbook, type RunbookModelInput, type Section } from './model.js';

export type RunbookFormat = 'md' | 'html';

export interface RenderOptions {
  contract: RunbookModelInput['contract'] & Partial<Pick<Contract, 'policies'>>;
  /** The active policies; default: the contract's own. */
  policies?: PolicySet;
  format: RunbookFormat;
  source?: RunbookModelInput['source'];
  publicUrl?: string;
  /** The fleet hub's per-node service sections (model.ts `RunbookNode`). */
  fleet?: RunbookModelInput['fleet'];
}

export function renderRunbook(opts: RenderOptions): string {
  const policies =
    opts.policies ??
    policySetOfContract({ policies: opts.contract.policies ?? {}, services: opts.contract.services });
  const doc = buildRunbook({
    contract: opts.contract,
    policies,
    ...(opts.source ? { source: opts.source } : {}),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    ...(opts.fleet ? { fleet: opts.fleet } : {}),
  });
  return opts.format === 'html'
    ? toHtml(doc.title, doc.intro, doc.sections)
    : toMarkdown(doc.title, doc.intro, doc.sections);
}

// ---- Markdown -------------------------------------------------------------------------------

const mdCell = (s: string) => s.replaceAll('|', '\\|');

function mdBlock(b: Block): string {
  switch (b.kind) {
    case 'p':
      return b.text;
    case 'list':
      return b.items.map((i) => `- ${i}`).join('\n');
    case 'code':
      return `\`\`\`\n${b.text}\n\`\`\``;
    case 'table':
      return [
        `| ${b.head.map(mdCell).join(' | ')} |`,
        `|${b.head.map(() => '---').join('|')}|`,
        ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
      ].join('\n');
    case 'anchored':
      return `<a id="${b.id}"></a>${b.text}`;
  }
}

function toMarkdown(title: string, intro: Block[], sections: Section[]): string {
  const out: string[] = [`# ${title}`, ...intro.map(mdBlock), '## Contents'];
  out.push(
    sections
      .filter((s) => s.level <= 3)
      .map((s) => `${'  '.repeat(s.level - 2)}- [${s.title}](#${s.id})`)
      .join('\n'),
  );
  for (const s of sections) {
    out.push(`<a id="${s.id}"></a>\n\n${'#'.repeat(s.level)} ${s.title}`);
    out.push(...s.blocks.map(mdBlock));
  }
  return `${out.join('\n\n')}\n`;
}

// ---- HTML -----------------------------------------------------------------------------------

const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** `code` and **bold** inside plain text; everything else escaped. */
function spans(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) =>
      part.length >= 2 && part.startsWith('`') && part.endsWith('`')
        ? `<code>${esc(part.slice(1, -1))}</code>`
        : esc(part).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>'),
    )
    .join('');
}

/** The inline subset used by the texts: `code`, **bold**, [text](url) (text may hold code). */
export function inline(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(/\[([^\]]+)\]\(([^)\s]+)\)/g)) {
    out += spans(text.slice(last, m.index));
    out += `<a href="${esc(m[2])}">${spans(m[1])}</a>`;
    last = m.index + m[0].length;
  }
  return out + spans(text.slice(last));
}

function htmlBlock(b: Block): string {
  switch (b.kind) {
    case 'p':
      return `<p>${inline(b.text)}</p>`;
    case 'list':
      return `<ul>\n${b.items.map((i) => `<li>${inline(i)}</li>`).join('\n')}\n</ul>`;
    case 'code':
      return `<pre><code>${esc(b.text)}</code></pre>`;
    case 'table':
      return [
        '<table>',
        `<thead><tr>${b.head.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead>`,
        '<tbody>',
        ...b.rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`),
        '</tbody>',
        '</table>',
      ].join('\n');
    case 'anchored':
      return `<p id="${esc(b.id)}">${inline(b.text)}</p>`;
  }
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code,pre{font:13px ui-monospace,monospace;background:#f3f4f6}pre{padding:.6rem;overflow:auto}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left}
:target{background:#fff8c5}`;

function toHtml(title: string, intro: Block[], sections: Section[]): string {
  const toc = sections
    .filter((s) => s.level <= 3)
    .map((s) => `<li class="l${s.level}"><a href="#${esc(s.id)}">${inline(s.title)}</a></li>`)
    .join('\n');
  const body = sections
    .map((s) =>
      [`<h${s.level} id="${esc(s.id)}">${inline(s.title)}</h${s.level}>`, ...s.blocks.map(htmlBlock)].join(
        '\n',
      ),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
${intro.map(htmlBlock).join('\n')}
<h2>Contents</h2>
<ul>
${toc}
</ul>
${body}
</body>
</html>
`;
}
