/** The runbook's document shapes: sections with stable anchors, made of blocks (model.ts builds them). */
export type Block =
  | { kind: 'p'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'code'; text: string }
  | { kind: 'table'; head: string[]; rows: string[][] }
  /** A paragraph that is itself a link target (decision codes). */
  | { kind: 'anchored'; id: string; text: string };

export interface Section {
  id: string;
  title: string;
  level: 2 | 3 | 4;
  blocks: Block[];
}

export interface RunbookDoc {
  title: string;
  intro: Block[];
  sections: Section[];
}
