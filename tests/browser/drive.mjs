// Drives the test web app in headless Chromium for tests/test_browser.py:
// node drive.mjs CONFIG.json. Prints one JSON object: each page's results,
// what the browser fetched and logged. Never asserts: the test does.
import { readFileSync, writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const STEP_MS = 10000;
const out = { pages: {}, console: [], responses: [], errors: [] };

const context = await chromium.launchPersistentContext(cfg.userDataDir, {
  executablePath: cfg.chromium, headless: true, timeout: 30000,
  viewport: { width: 600, height: 520 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
context.setDefaultTimeout(STEP_MS);

async function open(name, url) {
  const page = await context.newPage();
  page.on("console", (m) => out.console.push(name + ": " + m.type() + ": " + m.text()));
  page.on("pageerror", (e) => out.errors.push(name + ": " + String(e)));
  page.on("response", (r) => out.responses.push({ page: name, url: r.url(), status: r.status(),
    type: r.headers()["content-type"] || null, etag: r.headers()["etag"] || null }));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => window.kez !== undefined);
  return page;
}

// page.evaluate has no timeout of its own: each step gets STEP_MS.
async function run(page, fn, ...args) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(fn + " took over " + STEP_MS + " ms")), STEP_MS);
  });
  try {
    return await Promise.race([page.evaluate(([f, a]) => window.kez[f](...a), [fn, args]), late]);
  } finally {
    clearTimeout(timer);
  }
}

let a = null, b = null;
try {
  a = await open("a", cfg.urlA);
  b = await open("b", cfg.urlB);
  for (const p of [a, b]) {
    await run(p, "makeKey");
    await run(p, "register");
  }
  const aHex = await a.evaluate(() => window.kez.hex());
  const bHex = await b.evaluate(() => window.kez.hex());
  await run(a, "appendAdd", cfg.subject);
  await run(a, "readChain");
  await run(a, "connectNats");
  await run(b, "connectNats");
  await run(b, "listen");
  await run(a, "hello", bHex, cfg.hello);
  await b.waitForFunction(() => "received" in window.kez.results).catch((e) => out.errors.push("b: " + e.message));
  await run(a, "ping", bHex, cfg.ping);
  await run(b, "snoop", aHex);
  for (const p of [a, b])
    await run(p, "close");
} catch (e) {
  out.errors.push("driver: " + String(e && e.stack || e));
}

// One picture of both pages side by side.
const shots = {};
for (const [name, page] of [["a", a], ["b", b]]) {
  if (page) {
    out.pages[name] = await page.evaluate(() => window.kez.results).catch((e) => ({ error: String(e) }));
    shots[name] = (await page.screenshot({ fullPage: true })).toString("base64");
  }
}
const board = await context.newPage();
await board.setViewportSize({ width: 1220, height: 400 });
await board.setContent("<body style='margin:0;display:flex;gap:20px;align-items:flex-start;background:#ddd'>" +
  Object.values(shots).map((s) => "<img src='data:image/png;base64," + s + "'>").join("") + "</body>");
writeFileSync(cfg.screenshot, await board.screenshot({ fullPage: true }));
await context.close();
process.stdout.write(JSON.stringify(out) + "\n");
