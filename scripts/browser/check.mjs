// Loads a `qa report --html` page in headless Chromium and checks it against `qa score`'s
// JSON reports of the same input (spec v1.1 §3):
//   node check.mjs [--screenshot OUT.png] PAGE.html REPORTS.jsonl [PAGE.html REPORTS.jsonl ...]
//   node check.mjs --measure PAGE.html
// - the page makes no network request and no src/href/CSS url() holds an http(s) URL;
// - every conversation is there, in input order, with its score (paging through);
// - in each conversation the <mark data-rule> elements are exactly its findings with a span:
//   same rules, each mark's text exactly the finding's text;
// - pages rendered by the script equal the first page written by qa;
// - the filters by agent, rule and failed show exactly the matching conversations;
// - no script error.
// With --measure it prints load figures instead (first contentful paint, load, first filter).
// The screenshot is of the last page checked.
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const measure = args.includes("--measure");
if (measure) args.splice(args.indexOf("--measure"), 1);
const screenshot = flag("--screenshot");
if (args.length === 0 || (!measure && args.length % 2 !== 0)) {
  console.error("usage: node check.mjs [--screenshot OUT.png] PAGE.html REPORTS.jsonl ... | --measure PAGE.html");
  process.exit(2);
}

let failures = 0;
let current = "";
const fail = (what) => {
  failures += 1;
  if (failures <= 20) console.error(`  FAIL ${current}: ${what}`);
};
const cut = (text) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);
const same = (a, b, what) => {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  if (x === y) return;
  let at = 0;
  while (x[at] === y[at]) at += 1;
  const from = Math.max(0, at - 60);
  fail(`${what}: differs at ${at}: got ${cut(x.slice(from))}, want ${cut(y.slice(from))}`);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--disable-gpu", "--disable-dev-shm-usage"],
});
let page, errors, requests;
async function open(pagePath) {
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  requests = [];
  page.on("request", (r) => requests.push(r.url()));
  return pathToFileURL(resolve(pagePath)).href;
}

if (measure) {
  const pagePath = args[0];
  const url = await open(pagePath);
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "load", timeout: 300000 });
  const wall = Date.now() - t0;
  const figures = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const paint = Object.fromEntries(performance.getEntriesByType("paint").map((p) => [p.name, p.startTime]));
    return {
      first_paint_ms: Math.round(paint["first-paint"] ?? -1),
      first_contentful_paint_ms: Math.round(paint["first-contentful-paint"] ?? -1),
      dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
      load_ms: Math.round(nav.loadEventEnd),
      conversations: Number(document.querySelector("[data-qa-report]").dataset.conversations),
      dom_nodes: document.getElementsByTagName("*").length,
    };
  });
  const t1 = Date.now();
  await page.check("#f-failed");
  await page.waitForFunction(() => /shown \(|No conversations match/.test(document.querySelector("#shown").textContent));
  figures.first_filter_ms = Date.now() - t1; // right after load: may wait for the JSON parse
  const t3 = Date.now();
  await page.selectOption("#f-rule", { index: 1 });
  await page.waitForFunction(() => /shown \(|No conversations match/.test(document.querySelector("#shown").textContent));
  figures.next_filter_ms = Date.now() - t3; // filter 10,000 and render a page
  const t2 = Date.now();
  await page.selectOption("#f-size", "500");
  figures.page_of_500_ms = Date.now() - t2;
  figures.goto_wall_ms = wall;
  figures.page_mb = +(statSync(pagePath).size / 1e6).toFixed(2);
  figures.heap_mb = +((await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0)) / 1e6).toFixed(1);
  console.log(JSON.stringify(figures));
  await browser.close();
  process.exit(errors.length ? 1 : 0);
}

for (let k = 0; k < args.length; k += 2) {
  await check(args[k], args[k + 1], k + 2 === args.length ? screenshot : undefined);
}
await browser.close();
if (failures) {
  console.error(`  ${failures} failures`);
  process.exit(1);
}
console.log("  ok");

async function check(pagePath, reportsPath, screenshot) {
  current = pagePath;
  const url = await open(pagePath);
  const reports = readFileSync(reportsPath, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  await page.goto(url, { waitUntil: "load" });
  console.log(`  ${pagePath}: ${reports.length} conversations`);

  // no external URL anywhere a browser would fetch one
  const urls = await page.evaluate(() => {
    const found = [];
    for (const e of document.querySelectorAll("[src],[href]")) {
      for (const a of ["src", "href"]) {
        const v = e.getAttribute(a);
        if (v && /^\s*(https?:)?\/\//i.test(v)) found.push(`${e.tagName} ${a}=${v}`);
      }
    }
    for (const s of document.querySelectorAll("style")) {
      for (const m of s.textContent.matchAll(/url\(([^)]*)\)/gi)) found.push(`css url(${m[1]})`);
    }
    for (const e of document.querySelectorAll("[style]")) {
      if (/url\(/i.test(e.getAttribute("style"))) found.push(`style ${e.getAttribute("style")}`);
    }
    return found;
  });
  same(urls, [], "external URLs");
  if (!(await page.$("main[data-qa-report]"))) fail("no main element with data-qa-report");

  // the list as the page shows it: every conversation with its marks
  const listed = () =>
    page.$$eval("#list > article", (as) =>
      as.map((a) => ({
        index: Number(a.id.slice(1)),
        id: a.getAttribute("data-conversation"),
        score: a.getAttribute("data-score"),
        marks: [...a.querySelectorAll("mark[data-rule]")].map((m) => [m.getAttribute("data-rule"), m.textContent]),
      })),
    );
  const firstPage = await page.$eval("#list", (l) => l.innerHTML);
  const written = await listed(); // the first page as qa wrote it, before the script renders
  same(written.length, Math.min(reports.length, 100), "conversations in the HTML");

  // every conversation and score, page by page (25 a page, so the pager is exercised)
  await page.selectOption("#f-size", "25");
  const seen = [];
  for (;;) {
    seen.push(...(await listed()));
    if (await page.$eval("#next", (b) => b.disabled)) break;
    await page.click("#next");
  }
  same(seen.length, reports.length, "conversations listed");
  const key = (pairs) => pairs.map((p) => JSON.stringify(p)).sort();
  reports.forEach((r, i) => {
    if (i < written.length) same(written[i], seen[i], `conversation ${i} as written and as rendered`);
    const s = seen[i];
    if (!s) return;
    same(s.index, i, `conversation ${i}: position`);
    same(s.id, r.id ?? "", `conversation ${i}: data-conversation`);
    same(Number(s.score), r.score, `conversation ${r.id}: data-score`);
    const want = r.findings.filter((f) => f.start !== null && f.text !== null).map((f) => [f.rule, f.text]);
    same(key(s.marks), key(want), `conversation ${r.id}: marks (rule, text)`);
  });

  // pages rendered by the script are the page qa wrote
  await page.selectOption("#f-size", "100");
  same(await page.$eval("#list", (l) => l.innerHTML), firstPage, "first page re-rendered by the script");

  // filters: the conversations shown are exactly the matching ones
  await page.selectOption("#f-size", "500");
  const shownIds = async () => (await listed()).map((c) => c.index);
  const expect = (pred) => reports.map((r, i) => [r, i]).filter(([r]) => pred(r)).map(([, i]) => i).slice(0, 500);
  const agents = [...new Set(reports.map((r) => r.agent))];
  for (const agent of agents.slice(0, 5)) {
    await page.selectOption("#f-agent", JSON.stringify(agent));
    same(await shownIds(), expect((r) => r.agent === agent), `filter agent=${agent}`);
  }
  await page.selectOption("#f-agent", "");
  const rules = [...new Set(reports.flatMap((r) => r.findings.map((f) => f.rule)))];
  for (const rule of rules.slice(0, 8)) {
    await page.selectOption("#f-rule", rule);
    same(await shownIds(), expect((r) => r.findings.some((f) => f.rule === rule)), `filter rule=${rule}`);
  }
  const rule0 = rules[0];
  await page.selectOption("#f-rule", rule0 ?? "");
  await page.check("#f-failed");
  same(
    await shownIds(),
    expect((r) => !r.passed && (rule0 === undefined || r.findings.some((f) => f.rule === rule0))),
    `filter rule=${rule0} and failed`,
  );
  await page.selectOption("#f-rule", "");
  same(await shownIds(), expect((r) => !r.passed), "filter failed");
  same(
    Number(await page.$eval("#shown", (e) => e.getAttribute("data-matches"))),
    reports.filter((r) => !r.passed).length,
    "data-matches with failed",
  );
  await page.uncheck("#f-failed");

  // an alert's link shows its conversation
  const alert = await page.$("#alerts a[href^='#c']");
  if (alert) {
    const href = await alert.getAttribute("href");
    await page.selectOption("#f-size", "25");
    await page.check("#f-failed");
    await alert.click();
    await page.waitForFunction((id) => document.getElementById(id) !== null, href.slice(1));
    await page.uncheck("#f-failed");
  }

  if (screenshot) {
    await page.selectOption("#f-size", "25");
    await page.selectOption("#f-rule", reports.flatMap((r) => r.findings).find((f) => f.rule === "rude") ? "rude" : "");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`  screenshot: ${screenshot}`);
  }
  same(errors, [], "script errors");
  same(requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:")), [], "network requests");
  await page.close();
}
