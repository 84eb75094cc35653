/**
 * A small result cache for the read model queries (`services`, `service`): a dashboard polling
 * 200 services would otherwise re-execute ~6000 fields per request. An entry is reused only while
 *  - no event was committed since it was computed (every state change publishes an event), and
 *  - the clock is still in the same second (views contain countdowns and sliding windows).
 * So a cached answer is never stale with respect to a decision, and at most one second old in
 * its countdown text. Only queries whose root fields are all in CACHEABLE_ROOTS are cached; the
 * key is the parsed document (yoga reuses one per query string), operation name, variables and
 * the caller's role. Entries per document are bounded.
 */
import type { DocumentNode, ExecutionResult, OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Engine } from '../../engine/types.js';
import type { Principal } from '../schema/ports.js';

export const CACHEABLE_ROOTS: ReadonlySet<string> = new Set(['services', 'service', '__typename']);
const MAX_ENTRIES_PER_DOCUMENT = 64;

interface Entry {
  generation: number;
  second: number;
  result: ExecutionResult;
}

function operationOf(doc: DocumentNode, name: string | null | undefined): OperationDefinitionNode | null {
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  if (name) return ops.find((o) => o.name?.value === name) ?? null;
  return ops.length === 1 ? ops[0] : null;
}

function cacheable(op: OperationDefinitionNode | null): boolean {
  if (op?.operation !== 'query') return false;
  return op.selectionSet.selections.every((s) => s.kind === 'Field' && CACHEABLE_ROOTS.has(s.name.value));
}

export function readCachePlugin(engine: Pick<Engine, 'subscribe'>, now: () => number): Plugin {
  let generation = 0;
  const unsubscribe = engine.subscribe(() => {
    generation++;
  });
  const byDocument = new WeakMap<DocumentNode, { ok: boolean; entries: Map<string, Entry> }>();

  const plugin: Plugin = {
    // yoga.dispose() ends the engine subscription.
    onDispose: unsubscribe,
    onExecute({ args, setResultAndStopExecution }) {
      let slot = byDocument.get(args.document);
      if (!slot) {
        slot = { ok: cacheable(operationOf(args.document, args.operationName)), entries: new Map() };
        byDocument.set(args.document, slot);
      }
      if (!slot.ok) return;
      const principal = (args.contextValue as { principal?: Principal }).principal;
      const key = `${principal?.role}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
      const second = Math.floor(now() / 1000);
      const hit = slot.entries.get(key);
      if (hit && hit.generation === generation && hit.second === second) {
        setResultAndStopExecution(hit.result);
        return;
      }
      const started = { generation, second };
      const entries = slot.entries;
      return {
        onExecuteDone({ result }) {
          const single = result as ExecutionResult;
          if (Symbol.asyncIterator in (result as object) || single.errors) return;
          // Serialize once; yoga uses `stringify` when present.
          const json = JSON.stringify(single);
          const cached = Object.assign({ ...single }, { stringify: () => json });
          if (entries.size >= MAX_ENTRIES_PER_DOCUMENT) entries.delete(entries.keys().next().value!);
          entries.set(key, { ...started, result: cached });
        },
      };
    },
  };
  return plugin;
}
