/**
 * One format for every benchmark line, so `npm run bench` output reads as one table.
 * Each comparison prints the subject, its same-run baseline and the ratio subject/baseline
 * (machine noise cancels out of the ratio; absolute figures are for context only).
 */
export interface BenchLine {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  /** Same-run baseline for the same metric, if the bench has one. */
  baseline?: { name: string; value: number };
  goal?: string;
}

export function report(line: BenchLine): void {
  const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
  let text = `${line.bench.padEnd(10)} ${line.metric.padEnd(44)} ${fmt(line.value).padStart(12)} ${line.unit}`;
  if (line.baseline) {
    const ratio = line.value / line.baseline.value;
    text += `  | baseline ${line.baseline.name}: ${fmt(line.baseline.value)} ${line.unit}  ratio ${ratio.toFixed(2)}x`;
  }
  if (line.goal) text += `  (goal ${line.goal})`;
  console.log(text);
}
