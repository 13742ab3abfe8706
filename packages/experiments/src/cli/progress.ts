/**
 * Progress of long work: a bar (cli-progress) when stderr is a terminal, plain lines otherwise
 * (logs, CI, pipes), so redirected output stays readable.
 */
import { SingleBar } from 'cli-progress';
import type { Io } from './command';

export interface Progress {
  /** `done` of `total` units finished; `fields` are shown beside the bar or in the line. */
  update(done: number, fields: Record<string, string>): void;
  stop(): void;
}

/** Options of createProgress. */
export interface ProgressOptions {
  /**
   * Off a terminal, print about this many lines in all: every ceil((total - start)/lines)-th
   * update, and always the first and the last. Default: a line per update.
   */
  readonly lines?: number;
}

/**
 * A progress reporter for `total` units named `unit` ("epoch"). On a terminal (io.isTTY) a bar
 * on stderr; otherwise lines on io.stderr, "<label> <unit> 3/10 key value ...", one per update or
 * about `options.lines` of them.
 */
export function createProgress(io: Io, label: string, unit: string, total: number, start = 0, options: ProgressOptions = {}): Progress {
  if (io.isTTY === true) {
    const bar = new SingleBar({
      format: `${label} [{bar}] ${unit} {value}/{total} | {fields}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
    });
    bar.start(total, start, { fields: '' });
    return {
      update: (done, fields) => bar.update(done, { fields: formatFields(fields) }),
      stop: () => bar.stop(),
    };
  }
  const every = options.lines === undefined ? 1 : Math.max(1, Math.ceil((total - start) / options.lines));
  return {
    update: (done, fields) => {
      if (done === start + 1 || done >= total || (done - start) % every === 0) io.stderr(`${label} ${unit} ${done}/${total} ${formatFields(fields)}\n`);
    },
    stop: () => undefined,
  };
}

function formatFields(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${v}`)
    .join('  ');
}
