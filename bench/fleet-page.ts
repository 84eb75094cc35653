/**
 * The hub's status page at fleet scale (issue 15; part of bench/fleet.bench.ts): the server's
 * render of the cards fragment (`GET /ui/services`, what the page's script fetches) at N×20
 * services — the default page and a deep page (`?state=healthy&after=…`) — p50/p99 against the
 * same 100 cards read as one GraphQL `servicePage` query over HTTP (the data the page renders).
 * Requests stop after LIMIT_MS in all (a page that reads the whole fleet takes seconds).
 */
import { CARD_FIELDS } from '../src/api/ui/cards.js';
import { report } from './report.js';

const RUNS = 30;
const LIMIT_MS = 60_000;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

export async function statusPageSection(hubUrl: string, viewer: string, nodes: number): Promise<void> {
  const headers = { authorization: `Bearer ${viewer}` };
  const started = performance.now();
  const time = async (url: string, init: RequestInit = { headers }) => {
    const t = performance.now();
    const res = await fetch(url, init);
    const body = await res.text();
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${body.slice(0, 200)}`);
    return {
      ms: performance.now() - t,
      bytes: body.length,
      cards: body.split('<article class="card').length - 1,
    };
  };
  const gqlInit = (after: string) => ({
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `query($after: String) { servicePage(first: 100, after: $after, state: healthy) { nodes { ${CARD_FIELDS} } } }`,
      variables: { after },
    }),
  });
  const first: number[] = [];
  const deep: number[] = [];
  const base: number[] = [];
  let shape = { bytes: 0, cards: 0 };
  for (let k = 0; k < RUNS && performance.now() - started < LIMIT_MS; k++) {
    const id = `n${Math.floor(Math.random() * nodes)}/svc-${1 + Math.floor(Math.random() * 6)}`;
    const a = await time(`${hubUrl}/ui/services`);
    first.push(a.ms);
    shape = { bytes: a.bytes, cards: a.cards };
    deep.push(
      (await time(`${hubUrl}/ui/services?state=healthy&after=${encodeURIComponent(`healthy:${id}`)}`)).ms,
    );
    base.push((await time(`${hubUrl}/graphql`, gqlInit(id))).ms);
  }
  console.log(
    `status page: ${first.length} renders; the default page ${shape.cards} cards, ${shape.bytes} bytes`,
  );
  for (const [name, xs] of [
    ['default page', first],
    ['deep page (healthy, after a random id)', deep],
  ] as const)
    for (const p of [50, 99])
      report({
        bench: 'fleet',
        metric: `status page /ui/services, ${name}, p${p} at ${nodes * 20} services`,
        value: pct(xs, p),
        unit: 'ms',
        baseline: { name: 'servicePage(first: 100) of the card fields over HTTP', value: pct(base, p) },
      });
}
