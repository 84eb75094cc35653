/**
 * The bot reads its subscription over SSE with eventsource-parser: frames whose line ends are
 * CRLF, CR or LF, split anywhere across chunks (also between the CR and the LF), with comments
 * and multi-line data, come out whole. (The hand-written splitter before it waited forever for
 * a frame whose CRLF was split across two chunks.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sseFrames } from '../../bot/graphql/transport.js';

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

async function collect(chunks: string[]) {
  const out: { event: string; data: string }[] = [];
  for await (const frame of sseFrames(body(chunks))) out.push(frame);
  return out;
}

describe('sseFrames', () => {
  it('reads a frame whose CRLF is split between two chunks', async () => {
    expect(await collect(['event: next\r', '\ndata: {"a":1}\r\n\r', '\n'])).toEqual([
      { event: 'next', data: '{"a":1}' },
    ]);
  });

  it('reads the same frames however the stream is cut and whichever line ends it uses', async () => {
    const frames = [
      { event: 'next', data: '{"data":{"x":1}}' },
      { event: 'next', data: 'line one\nline two' },
      { event: 'complete', data: '' },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(200), { maxLength: 12 }),
        async (eol, cuts) => {
          const text = `: keep-alive${eol}${eol}${frames
            .map(
              (f) =>
                `event: ${f.event}${eol}${f.data
                  .split('\n')
                  .map((d) => `data: ${d}${eol}`)
                  .join('')}${eol}`,
            )
            .join('')}`;
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...points, text.length]
            .slice(1)
            .map((end, i, all) => text.slice(i === 0 ? 0 : all[i - 1], end));
          expect(await collect(chunks.filter(Boolean))).toEqual(frames);
        },
      ),
      { numRuns: 200 },
    );
  });
});
