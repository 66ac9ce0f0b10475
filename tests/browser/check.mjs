// The browser tier: opens funnel's HTML reports of the bundled examples in headless
// Chromium (driven by puppeteer-core over a pipe: no DevTools port, nothing listens) and
// checks what a reader sees:
//   - the page loads with no console error and makes no request besides its own file;
//   - every number in the HTML tables equals the number of the CSV (or JSON) report of
//     the same input, to the decimals shown;
//   - every bar's drawn length (DOM geometry) is proportional to its value, per scale;
//   - no two chart labels overlap, and none leaves its chart, at 1280 and at 400 px;
// and writes a screenshot of each page at both widths next to the HTML.
// Usage: node check.mjs FUNNEL OUTDIR   (run from anywhere; examples are read from the repository)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const [funnel, outDir] = process.argv.slice(2).map((p) => path.resolve(p));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

// name, command, arguments (relative to the repository root)
const cases = [
  ['crm_events', 'report', ['examples/crm_events.csv']],
  ['crm_by_source', 'report', ['--by', 'source', 'examples/crm_events.csv']],
  ['deals_money', 'report', ['--by', 'source', '--amount', 'amount', '--spend', 'examples/spend.csv', 'examples/deals_with_amounts.csv']],
  ['hubspot', 'report', ['--preset', 'hubspot', 'examples/hubspot_contacts.csv']],
  ['subscriptions', 'report', ['--amount', 'amount', 'examples/subscriptions.csv']],
  ['cohorts_week', 'cohorts', ['examples/crm_events.csv']],
  ['cohorts_month', 'cohorts', ['--every', 'month', '--tz', 'Europe/Oslo', 'examples/crm_events.csv']],
  ['trend_week', 'trend', ['examples/crm_events.csv']],
  ['forecast_deals', 'forecast', ['--by', 'source', '--amount', 'amount', 'examples/deals_with_amounts.csv']],
  ['forecast_pipedrive', 'forecast', ['--config', 'examples/pipedrive.toml', 'examples/pipedrive_deals.csv']],
];

const failures = [];
const fail = (name, what) => failures.push(`${name}: ${what}`);

function run(args) {
  return execFileSync(funnel, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/// RFC 4180 rows.
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; ++i; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else if (c !== '\r') cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/// (first column, stage, column) -> cell of `funnel CMD -f csv ARGS`.
function csvTable(command, args) {
  const [head, ...rows] = parseCsv(run([command, '-f', 'csv', ...args]));
  const stage = head.indexOf('stage');
  const map = new Map();
  for (const r of rows) head.forEach((col, i) => map.set(`${r[0]}\u0000${r[stage]}\u0000${col}`, r[i]));
  return map;
}

/// The options the HTML report's cohorts and trend sections leave out (cli.cpp: companion).
// The report's cohorts and trend sections are those of the same leads without segments, spend,
// --top or money: the companion commands are given the report's options less those (which
// funnel cohorts and trend refuse, as they would ignore them).
function companionArgs(args) {
  const out = [];
  for (let i = 0; i < args.length; ++i) {
    if (['--by', '--spend', '--top', '--amount', '--decimal', '--attribution', '--days'].includes(args[i])) { ++i; continue; }
    if (args[i] === '--ascii') continue;
    out.push(args[i]);
  }
  return out;
}

/// Whether the shown text is the source value to the decimals shown.
function matches(shown, value) {
  const text = shown.trim();
  if (text === '-') return value === '' || value === null || value === undefined;
  if (value === '' || value === null || value === undefined) return false;
  const percent = text.endsWith('%');
  const digits = text.replace(/[%,]/g, '');
  if (!/^-?\d+(\.\d+)?$/.test(digits)) return false;
  const decimals = digits.includes('.') ? digits.split('.')[1].length : 0;
  const shownValue = Number(digits);
  const expected = Number(value) * (percent ? 100 : 1);
  return Math.abs(shownValue - expected) <= 0.5 * 10 ** -decimals + 1e-9;
}

async function checkNumbers(page, name, command, args) {
  const cells = await page.$$eval('table.data td', (tds) => tds.map((td) => ({ text: td.textContent, ...td.dataset })));
  const sources = {};
  const source = (src) => {
    if (sources[src]) return sources[src];
    if (src === 'json') sources[src] = JSON.parse(run([command, '-f', 'json', ...args]));
    else sources[src] = csvTable(src, src === command ? args : companionArgs(args));
    return sources[src];
  };
  let checked = 0;
  for (const c of cells) {
    if (!c.src) {
      if (/\d/.test(c.text)) fail(name, `table cell "${c.text}" shows a number with no data-src`);
      continue;
    }
    let value;
    if (c.src === 'json') {
      value = c.path.split('.').reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), source('json'));
    } else {
      const map = source(c.src);
      const key = `${c.key}\u0000${c.stage}\u0000${c.col}`;
      if (!map.has(key)) { fail(name, `no ${c.src} CSV cell for ${c.key}/${c.stage}/${c.col}`); continue; }
      value = map.get(key);
    }
    if (!matches(c.text, value)) fail(name, `table shows "${c.text}" where ${c.src} has ${JSON.stringify(value)} (${c.path || `${c.key}/${c.stage}/${c.col}`})`);
    ++checked;
  }
  if (checked < 5) fail(name, `only ${checked} numbers checked`);
  return checked;
}

/// Bars: length / value is the same for every bar of a chart's scale (within 0.75 px).
async function checkBars(page, name, width) {
  const groups = await page.$$eval('svg.chart', (charts) => charts.map((svg) => ({
    chart: svg.getAttribute('class'),
    bars: [...svg.querySelectorAll('rect.bar')].map((r) => {
      const box = r.getBoundingClientRect();
      return { scale: r.dataset.scale, value: Number(r.dataset.value), length: r.classList.contains('vbar') ? box.height : box.width };
    }),
  })));
  let bars = 0;
  for (const g of groups) {
    const scales = new Map();
    for (const b of g.bars) (scales.get(b.scale) || scales.set(b.scale, []).get(b.scale)).push(b);
    for (const [scale, list] of scales) {
      const largest = list.reduce((a, b) => (b.value > a.value ? b : a));
      if (largest.value <= 0) continue;
      const perUnit = largest.length / largest.value;
      for (const b of list) {
        ++bars;
        if (Math.abs(b.length - b.value * perUnit) > 0.75) {
          fail(name, `${width}px ${g.chart} scale ${scale}: bar of ${b.value} is ${b.length.toFixed(2)} px, expected ${(b.value * perUnit).toFixed(2)}`);
        }
      }
    }
  }
  if (bars === 0 && groups.some((g) => /chart-(funnel|cycle|forecast)/.test(g.chart))) fail(name, `${width}px: no bars found`);
  return bars;
}

/// Labels: no two texts of a chart overlap, and each stays inside its chart.
async function checkLabels(page, name, width) {
  const problems = await page.$$eval('svg.chart', (charts) => {
    const out = [];
    for (const svg of charts) {
      const frame = svg.getBoundingClientRect();
      const texts = [...svg.querySelectorAll('text')].map((t) => ({ text: t.textContent, box: t.getBoundingClientRect() }))
        .filter((t) => t.box.width > 0 && t.box.height > 0);
      for (const t of texts) {
        if (t.box.left < frame.left - 1 || t.box.right > frame.right + 1 || t.box.top < frame.top - 1 || t.box.bottom > frame.bottom + 1) {
          out.push(`${svg.getAttribute('class')}: "${t.text}" leaves the chart`);
        }
      }
      for (let i = 0; i < texts.length; ++i) {
        for (let j = i + 1; j < texts.length; ++j) {
          const a = texts[i].box, b = texts[j].box;
          // Glyph boxes include the line's ascent and descent: a little vertical overlap is not a collision.
          const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (dx > 0.5 && dy > Math.min(a.height, b.height) * 0.25) out.push(`${svg.getAttribute('class')}: "${texts[i].text}" overlaps "${texts[j].text}"`);
        }
      }
    }
    return out;
  });
  for (const p of problems) fail(name, `${width}px ${p}`);
}

/// The checks can fail: a bar stretched by 5 px and a label drawn over another must be caught.
async function controls(page, name) {
  const before = failures.length;
  await page.evaluate(() => {
    const r = document.querySelector('svg.chart-funnel rect.bar');
    r.setAttribute('width', String(Number(r.getAttribute('width')) + 5));
    const t = document.querySelector('svg.chart-funnel text.stage-label, svg.chart-funnel text');
    const copy = t.cloneNode(true);
    copy.setAttribute('id', 'control-copy');
    copy.setAttribute('x', String(Number(t.getAttribute('x')) + 4));
    t.parentNode.appendChild(copy);
  });
  await checkBars(page, name, 1280);
  await checkLabels(page, name, 1280);
  const caught = failures.splice(before);
  if (!caught.some((f) => f.includes('bar of')) || !caught.some((f) => f.includes('overlaps'))) {
    fail(name, `the checks missed a stretched bar or an overlapping label: ${JSON.stringify(caught)}`);
  }
  await page.reload({ waitUntil: 'load' });
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'funnel-chromium-'));
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      pipe: true,  // DevTools over a pipe: no port is opened, not even on 127.0.0.1
      userDataDir: profile,
      timeout: 30000,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--disable-extensions', '--host-resolver-rules=MAP * ~NOTFOUND'],
    });
  } catch (e) {
    console.error(`check.mjs: chromium (${chromium}) did not start: ${e.message}`);
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  }
  try {
    for (const [name, command, args] of cases) {
      const file = path.join(outDir, `${name}.html`);
      run([command, '-f', 'html', '-o', file, ...args]);
      const size = fs.statSync(file).size;
      if (size > 1 << 20) fail(name, `${size} bytes: not well under 1 MB`);
      const page = await browser.newPage();
      const url = pathToFileURL(file).href;
      const requests = [], errors = [];
      page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(url, { waitUntil: 'load', timeout: 20000 });
      const numbers = await checkNumbers(page, name, command, args);
      if (name === cases[0][0]) await controls(page, name);
      let bars = 0;
      for (const width of [1280, 400]) {
        await page.setViewport({ width, height: 900 });
        bars += await checkBars(page, name, width);
        await checkLabels(page, name, width);
        await page.screenshot({ path: path.join(outDir, `${name}-${width}.png`), fullPage: true });
        // The page's first screen (header, funnel, segments): docs/funnel-report.png is crm_by_source's.
        if (width === 1280) await page.screenshot({ path: path.join(outDir, `${name}-top.png`), clip: { x: 0, y: 0, width: 1280, height: 1500 } });
      }
      for (const r of requests) fail(name, `request to ${r}`);
      for (const e of errors) fail(name, `console: ${e}`);
      console.log(`${name}: ${size} bytes, ${numbers} numbers match the ${command} CSV/JSON, ${bars} bars proportional, labels clear at 1280/400 px`);
      await page.close();
    }
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (failures.length) {
    for (const f of failures) console.error(`FAIL ${f}`);
    process.exit(1);
  }
  console.log(`browser tier: ${cases.length} reports passed; screenshots in ${outDir}`);
}

main().catch((e) => {
  console.error(`check.mjs: ${e.stack || e}`);
  process.exit(1);
});
