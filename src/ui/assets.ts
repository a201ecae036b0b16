// Static assets: the site's CSS and script (kept here, so they ship inside the bundle), and
// uPlot's files read from the installed package at run time — no CDN, no bundler: pages
// work offline and from a static export. Served under fixed names only (no path from the
// request ever reaches the file system).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

const CSS = `:root{--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--head:#f6f8fa;--accent:#0b5cad;--link:#0b5cad;--warn-bg:#fff4e5;--warn:#8a4b00;--grid:#e3e6ea;
--model:#e8f0fe;--dataset:#e6f4ea;--run:#fef7e0;--commit:#f1f3f4;--missing:#fce8e6;--cluster:#f3e8fd;--add:#e6f4ea;--del:#fce8e6;--chg:#fff8e1;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--head:#161b22;--accent:#58a6ff;--link:#79b8ff;--warn-bg:#3b2300;--warn:#f0b35a;--grid:#30363d;
--model:#132a4a;--dataset:#12331f;--run:#3a2e05;--commit:#21262d;--missing:#4a1616;--cluster:#2d1b47;--add:#12331f;--del:#4a1616;--chg:#3a2e05}}
*{box-sizing:border-box}html{background:var(--bg);color:var(--fg)}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--link)}a:focus-visible,button:focus-visible,input:focus-visible,.node:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px 8px;z-index:9}.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
header{display:flex;gap:16px;align-items:center;padding:10px 20px;border-bottom:1px solid var(--line);background:var(--head);flex-wrap:wrap}
.brand{font-weight:700;font-size:18px;text-decoration:none;color:var(--fg)}
.search{display:flex;gap:6px;flex:1;max-width:640px}.search input{flex:1;padding:6px 10px;font:inherit;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.compare{margin:12px 0}.compare input{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}.compare button,.search button{padding:6px 14px;font:inherit;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);cursor:pointer}
main{padding:16px 20px;max-width:1400px}footer{padding:16px 20px;color:var(--muted);font-size:13px;border-top:1px solid var(--line)}
h1{font-size:24px;margin:8px 0}h2{font-size:18px;margin:24px 0 8px}h3{font-size:15px}.lede,.tools,.note{color:var(--muted)}
.count{font-weight:400;color:var(--muted);font-size:14px}.kind{color:var(--muted);font-weight:400}
table.grid{border-collapse:collapse;min-width:50%}.grid th,.grid td{border-bottom:1px solid var(--line);padding:5px 10px;text-align:left;vertical-align:top}
.grid thead th{background:var(--head);position:sticky;top:0;white-space:nowrap}.grid thead th a{text-decoration:none}.grid tbody th{font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}.scroll{overflow-x:auto}
.badge{display:inline-block;font-size:12px;padding:0 6px;border-radius:10px;border:1px solid var(--line);background:var(--head)}
.alias{display:inline-block;font-size:12px;padding:0 7px;border-radius:10px;background:var(--accent);color:var(--bg);font-weight:600}
.mkey{color:var(--muted);font-size:13px}.role{color:var(--muted);font-size:13px;display:inline-block;min-width:64px}
.warn{background:var(--warn-bg);color:var(--warn);border-left:4px solid var(--warn);padding:8px 12px;border-radius:4px}
.message{white-space:pre-wrap}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}pre{white-space:pre-wrap;margin:0}
.id{word-break:break-all}.missing{color:var(--warn)}.empty{color:var(--muted);font-style:italic}
.pager{display:flex;gap:14px;margin:8px 0;align-items:center}.pager .range{color:var(--muted)}
.toggle{margin-left:8px}.start{padding:10px 14px;border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:4px;background:var(--head)}.startlink{font-weight:700}.depth{display:inline-block;min-width:1.6em;text-align:center}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dl.fields dt{font-weight:600;color:var(--muted)}dl.fields dd{margin:0;word-break:break-word}
ol.list{margin:0;padding-left:20px}.cols{display:grid;grid-template-columns:1fr 1fr;gap:24px}@media (max-width:800px){.cols{grid-template-columns:1fr}}
ul.rel{list-style:none;padding:0;margin:0}ul.rel li{padding:2px 0}ul.files{columns:2;margin:4px 0}
tr.added td{background:var(--add)}tr.removed td{background:var(--del)}tr.changed td{background:var(--chg)}li.added{color:inherit}
.graph{overflow:auto;border:1px solid var(--line);border-radius:6px;padding:6px;background:var(--head);max-height:70vh}
svg.lineage .edge{fill:none;stroke:var(--muted);stroke-width:1.4}svg.lineage .edge.prev{stroke-dasharray:4 3}svg.lineage marker path{fill:var(--muted)}
svg.lineage rect{fill:var(--bg);stroke:var(--line);stroke-width:1.2}svg.lineage text{fill:var(--fg);font-size:12px}svg.lineage text.k{fill:var(--muted);font-size:11px}
svg.lineage .n-model rect{fill:var(--model)}svg.lineage .n-dataset rect{fill:var(--dataset)}svg.lineage .n-run rect{fill:var(--run)}svg.lineage .n-commit rect{fill:var(--commit)}
svg.lineage .n-missing rect{fill:var(--missing);stroke-dasharray:4 3}svg.lineage .n-cluster rect{fill:var(--cluster);stroke-dasharray:2 2}
svg.lineage .root rect{stroke:var(--accent);stroke-width:3}svg.lineage a:hover rect{stroke:var(--accent)}svg.lineage a{cursor:pointer}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px}figure.chart{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px}
figure.chart figcaption{font-weight:600}.plot .u-over.clickable{cursor:pointer}.uplot,.uplot .u-legend{color:var(--fg);font-family:inherit}
details summary{cursor:pointer}`;

const JS = `// Progressive enhancement only: every page reads and navigates without it.
(function () {
  'use strict';
  function cssVar(name, fallback) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback; }
  function draw(fig) {
    var data = JSON.parse(fig.querySelector('script.chart-data').textContent);
    var el = fig.querySelector('.plot');
    if (typeof uPlot !== 'function') { el.textContent = 'chart unavailable'; return; }
    var fg = cssVar('--fg', '#222'), grid = cssVar('--grid', '#ddd'), accent = cssVar('--accent', '#0b5cad');
    var axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    var u = new uPlot({
      width: Math.max(260, el.clientWidth || 360), height: 200,
      scales: { x: { time: false } },
      cursor: { drag: { x: false, y: false } },
      axes: [Object.assign({ label: data.xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000] }, axis), axis],
      series: [{ label: data.xLabel }, { label: data.metric, stroke: accent, width: 2, spanGaps: false, points: { show: data.x.length <= 300, size: 7, fill: accent } }]
    }, [data.x, data.y], el);
    if (data.hrefs) {
      u.over.classList.add('clickable');
      u.over.title = 'click a point to open that version';
      u.over.addEventListener('click', function () {
        var i = u.cursor.idx;
        if (i != null && data.hrefs[i]) location.href = data.hrefs[i];
      });
    }
  }
  var figs = document.querySelectorAll('figure.chart');
  for (var i = 0; i < figs.length; i++) draw(figs[i]);
})();
`;

export interface Asset {
  type: string;
  body: Buffer;
}

const load = createRequire(import.meta.url);
const cache = new Map<string, Asset>();

function fromPackage(spec: string, type: string): Asset {
  return { type, body: fs.readFileSync(load.resolve(spec)) };
}

const ASSETS: Record<string, () => Asset> = {
  'ui.css': () => ({ type: 'text/css; charset=utf-8', body: Buffer.from(CSS) }),
  'ui.js': () => ({ type: 'text/javascript; charset=utf-8', body: Buffer.from(JS) }),
  'uPlot.iife.min.js': () => fromPackage('uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'),
  'uPlot.min.css': () => fromPackage('uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'),
};

export const ASSET_NAMES = Object.keys(ASSETS);

/** An asset by its exact name; undefined for anything else. */
export function asset(name: string): Asset | undefined {
  if (!Object.hasOwn(ASSETS, name)) return undefined;
  let a = cache.get(name);
  if (!a) {
    a = ASSETS[name]!();
    cache.set(name, a);
  }
  return a;
}
