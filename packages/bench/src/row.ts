/** One result row of the bench, as `npm run bench -- --json` prints it. */
export interface Row {
  workload: string;
  tool: string;
  rbmlab: number;
  reference: number | null;
  unit: string;
  /** How many times faster rbmlab is than the reference (null without one). */
  ratio: number | null;
  note?: string;
}
