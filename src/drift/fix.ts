/** The concrete commands that fix a finding. */
import { shellQuote } from '../contract/quote.js';
import { unitDir } from '../contract/render.js';
import type { Contract } from '../contract/types.js';
import { systemctlCommand } from '../systemd/scope.js';

/** Re-render the drop-in into the unit folder, reload, restart. */
export function renderFix(contract: Contract, unit: string): string {
  const sc = systemctlCommand(contract.supervisor.scope);
  return (
    `medic contract render --contract ${shellQuote(contract.file)} --only dropins --out ${unitDir(contract.supervisor.scope)}` +
    ` && ${sc} daemon-reload && ${sc} restart ${unit}`
  );
}

/** Basic regular expression (sed's default): only these are special; `|` is our delimiter. */
const escapeRegex = (s: string) => s.replace(/[\\^$.*[\]|]/g, '\\$&');
const escapeReplacement = (s: string) => s.replace(/[\\&|]/g, '\\$&');

/** `sed -i` that replaces `from` by `to` on line `line` of `file`. */
export function sedFix(file: string, line: number, from: string, to: string): string {
  return `sed -i ${shellQuote(`${line}s|${escapeRegex(from)}|${escapeReplacement(to)}|`)} ${shellQuote(file)}`;
}
