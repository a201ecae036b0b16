import { spawn } from 'node:child_process';
import type { CommandModule } from 'yargs';
import { MlmetaError } from '../../errors.js';
import { exportSite } from '../../ui/export.js';
import { isLoopback, startUi } from '../../ui/server.js';
import { countOption, note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { port?: string; open?: boolean; host?: string; export?: string }

/** The port tried first when none is given; taken, a free one is used instead. */
const DEFAULT_PORT = 8471;

function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true }).on('error', () => note(`could not open a browser; open ${url}`)).unref();
  } catch {
    note(`could not open a browser; open ${url}`);
  }
}

export const uiCommand: CommandModule<GlobalArgs, Args> = {
  command: 'ui',
  describe: 'Browse the store in a web browser: models, lineage graphs, metric charts, diffs (read-only, local)',
  builder: (y) => y
    .option('port', { type: 'string', requiresArg: true, describe: `port to listen on (default ${DEFAULT_PORT}, or a free one; 0: any free port)` })
    .option('open', { type: 'boolean', describe: 'open the page in a browser' })
    .option('host', { type: 'string', requiresArg: true, describe: 'address to listen on (default 127.0.0.1; others are reachable from the network)' })
    .option('export', { type: 'string', requiresArg: true, describe: 'write the pages as a static site into this folder instead of serving them' })
    .example('$0 ui', 'serve on http://127.0.0.1:8471/')
    .example('$0 ui --export site', 'static pages for a CI artifact or GitHub Pages'),
  handler: async (args) => {
    const store = storeFrom(args);
    if (args.export !== undefined) {
      if (args.port !== undefined || args.host !== undefined || args.open) throw new MlmetaError('E_USAGE', '--export writes files; it takes no --port, --host or --open');
      const res = exportSite(store, args.export);
      if (args.json) return outJson(res);
      out(`wrote ${res.pages} pages (${res.files} files) to ${res.dir}; open ${res.dir}/index.html`);
      return;
    }
    const host = args.host ?? '127.0.0.1';
    if (host.trim() === '') throw new MlmetaError('E_USAGE', '--host needs an address');
    if (!isLoopback(host)) note(`warning: listening on ${host}: anyone who can reach this address can read the store (read-only). Use the default 127.0.0.1 unless you mean it.`);
    const asked = countOption(args.port, '--port');
    if (asked !== undefined && asked > 65535) throw new MlmetaError('E_USAGE', '--port must be at most 65535');
    let ui;
    try {
      ui = await startUi(store, { host, port: asked ?? DEFAULT_PORT });
    } catch (e) {
      if (asked !== undefined || !(e instanceof MlmetaError) || e.data.errno !== 'EADDRINUSE') throw e;
      ui = await startUi(store, { host, port: 0 });
    }
    if (args.json) outJson({ url: ui.url, port: ui.port, host: ui.host });
    else out(`mlmeta ui: serving ${store.layout.root} (read-only) at\n  ${ui.url}\nPress Ctrl+C to stop.`);
    if (args.open) openBrowser(ui.url);
    await new Promise<void>((resolve) => {
      const stop = () => { void ui.close().then(resolve); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
