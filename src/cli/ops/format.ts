/**
 * Text output of the operator commands: aligned columns, colour only on a terminal (never when
 * piped, or with NO_COLOR set), times relative to now (core/relative.ts).
 */
import { styleText } from 'node:util';
import type { CliIo } from '../io.js';

type Colour = 'green' | 'yellow' | 'red' | 'dim' | 'bold';

export function painter(io: CliIo): (colour: Colour, text: string) => string {
  const tty = (io.stdout as NodeJS.WriteStream).isTTY === true && !io.env.NO_COLOR;
  return (colour, text) => (tty ? styleText(colour, text) : text);
}

export const STATE_COLOUR: Record<string, Colour> = {
  healthy: 'green',
  restarting: 'yellow',
  cooldown: 'yellow',
  half_open: 'yellow',
  circuit_open: 'red',
  held: 'red',
};

/**
 * Rows as aligned columns. Widths are measured on the plain text; `paint` colours a cell after
 * padding so escape codes never shift the columns.
 */
export function table(
  header: string[],
  rows: string[][],
  paint?: (row: number, col: number, padded: string) => string,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[], row: number) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]);
        return row >= 0 && paint ? paint(row, i, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header, -1), ...rows.map((r, i) => line(r, i))];
}
