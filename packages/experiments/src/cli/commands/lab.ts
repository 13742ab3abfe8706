/**
 * rbmlab lab [--port P] [--host H] [--dir D]
 *
 * Serves the browser lab (dist/lab, built by lab/build.js at `npm install`) on localhost and
 * prints its URL: a page that runs teacher-student studies in a Web Worker on WebGL2 (or the CPU
 * reference backend), shows them learn, and exports the files `rbmlab run` writes. The folder is
 * static: any web server, or a copy on a static host, serves it as well. Runs until interrupted.
 *
 * --port 0 takes a free port. --dir serves another folder holding the page (a copy, another build).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import sirv from 'sirv';
import { nonNegativeInteger } from '../args';
import type { Args, Command, Io } from '../command';
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors';

/** The built page inside this package: dist/lab (from dist/cli/commands, or src/cli/commands in jest). */
export const LAB_DIR = path.resolve(__dirname, '..', '..', '..', 'dist', 'lab');

export const DEFAULT_LAB_PORT = 8470;

export const labCommand: Command = {
  name: 'lab',
  command: 'lab',
  usage: 'rbmlab lab [--port P] [--host H] [--dir D]',
  describe: 'Serve the browser lab on localhost: run a planted-pattern study in the page, watch it learn, export its files',
  builder: (y) =>
    y
      .option('port', { describe: 'TCP port (0: any free port)', default: DEFAULT_LAB_PORT, requiresArg: true })
      .option('host', { describe: 'address to listen on (127.0.0.1: this machine only)', default: '127.0.0.1', type: 'string', requiresArg: true })
      .option('dir', { describe: 'serve this folder (a copy or another build of the page) instead of the built page', type: 'string', requiresArg: true }),
  async run(args: Args, io: Io): Promise<number> {
    const port = nonNegativeInteger('--port', args.port);
    if (port > 65535) throw new CliError(`--port must be at most 65535, got ${port}`);
    const host = String(args.host);
    const dir = args.dir === undefined ? LAB_DIR : path.resolve(String(args.dir));
    if (!fs.existsSync(path.join(dir, 'index.html'))) {
      throw new CliError(
        args.dir === undefined
          ? `the lab page is not built (${path.join(dir, 'index.html')} is missing): run \`npm run build:lab -w @rbmlab/experiments\` in the rbmlab checkout`
          : `--dir ${dir} holds no index.html`,
        EXIT_FAILURE,
      );
    }
    // no caching: a rebuilt page is what a reload shows
    const serve = sirv(dir, { dev: true, etag: true });
    const server = http.createServer((req, res) => serve(req, res, () => {
      res.writeHead(404).end('not found');
    }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'EADDRINUSE' ? `port ${port} is in use: choose another with --port (0 takes any free port)` : err.code === 'EADDRNOTAVAIL' ? `--host ${host} is not an address of this machine` : err.message;
        reject(new CliError(reason));
      });
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as { port: number };
    const shown = host.includes(':') ? `[${host}]` : host;
    io.stdout(`rbmlab lab: http://${shown}:${address.port}/ (serving ${dir}; Ctrl-C stops)\n`);
    await new Promise<void>((resolve) => {
      const release = io.onInterrupt?.(() => {
        server.close();
        resolve();
      });
      server.on('close', () => {
        release?.();
        resolve();
      });
    });
    return EXIT_OK;
  },
};
