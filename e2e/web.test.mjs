// End-to-end tests of the web platform in real Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core), against `dtsen serve` on the demo data (Kota Kediri). Run by
// scripts/e2e.sh, which builds the data, starts the server and sets DTSEN_E2E_URL.
// Screenshots go to e2e/screenshots/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const BASE = process.env.DTSEN_E2E_URL ?? "http://127.0.0.1:18080";
const SHOTS = new URL("./screenshots/", import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

// The demo's accounts (`dtsen demo` prints them).
const account = (role) => ({
  username: `demo.${role}`,
  password: `Demo-${role.replaceAll("_", "-")}-2026`,
});

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
});

async function login(role, viewport) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${BASE}/`);
  assert.match(page.url(), /\/masuk/);
  const { username, password } = account(role);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(/\/dasbor/), page.click('button[type="submit"]')]);
  return { context, page };
}

// Shared between tests: a family the regency operator opened, outside the village operator's village.
let outside = null;

test("regency operator: dashboard, drill-down, search, family page with deciles and sources", async () => {
  const { context, page } = await login("operator_kabkota");
  assert.equal(await page.textContent('[data-testid="region-name"]'), "Kota Kediri");
  const families = Number((await page.textContent('[data-testid="families"]')).replace(/\D/g, ""));
  assert.ok(families > 50000, `families on the dashboard: ${families}`);
  assert.equal(await page.locator("svg.chart rect").count(), 10, "ten decile bars");
  await page.screenshot({ path: `${SHOTS}01-dashboard-kabkota.png`, fullPage: true });

  // Drill down to a district, then to a village.
  await Promise.all([page.waitForURL(/\/wilayah\/\d{6}$/), page.click("table a >> nth=0")]);
  const district = await page.textContent('[data-testid="region-name"]');
  await Promise.all([page.waitForURL(/\/wilayah\/\d{10}$/), page.click("table a >> nth=0")]);
  await page.screenshot({ path: `${SHOTS}02-dashboard-village.png`, fullPage: true });
  assert.ok((await page.textContent("nav.crumbs")).includes(district), "breadcrumbs lead back");

  // Search by name with htmx (results replace the list without a page load).
  await page.goto(`${BASE}/cari`);
  await page.fill('input[name="q"]', "SITI");
  await page.waitForSelector('[data-testid="hit"]');
  const hits = await page.locator('[data-testid="hit"]').count();
  assert.ok(hits > 0);
  // Find a hit outside the demo village operator's village, for the next test.
  const rows = page.locator("#hits tbody tr");
  const villageOfOperator = await regionName(page, "operator_desa");
  for (let i = 0; i < (await rows.count()); i++) {
    const village = (await rows.nth(i).locator("td").nth(3).textContent()).trim();
    if (village !== villageOfOperator) {
      outside = await rows.nth(i).locator("a").getAttribute("href");
      break;
    }
  }
  assert.ok(outside, "a family outside the village operator's village");
  await page.screenshot({ path: `${SHOTS}03-search.png`, fullPage: true });

  await page.goto(`${BASE}${outside}`);
  assert.ok((await page.locator('[data-testid="member"]').count()) > 0, "members listed");
  const kk = (await page.textContent('[data-testid="kk"]')).trim();
  assert.match(kk, /^\d{16}$/, "the regency operator sees the KK in full");
  assert.match(await page.textContent("main"), /SIAK #\d+/, "sources of fields shown");
  // A member's fields with their sources, loaded in place (htmx).
  await page.click("tr.detail a >> nth=0");
  await page.waitForSelector('[data-testid="member-fields"]');
  assert.match(await page.textContent('[data-testid="member-fields"]'), /SIAK #\d+/);
  await page.screenshot({ path: `${SHOTS}04-family-kabkota.png`, fullPage: true });

  // English.
  await page.click("a.lang");
  assert.match(await page.textContent("header"), /Log out/);
  await context.close();
});

async function regionName(page, role) {
  // The village of the demo village operator: the first village of the first district of
  // Kota Kediri, as `dtsen demo` binds it. Read it from the API as that operator would see it.
  const ctx = await browser.newContext();
  const api = ctx.request;
  const { username, password } = account(role);
  const r = await api.post(`${BASE}/api/v1/session`, { data: { username, password } });
  assert.equal(r.status(), 200);
  const { token } = await r.json();
  const d = await api.get(`${BASE}/api/v1/dashboard`, { headers: { authorization: `Bearer ${token}` } });
  const name = (await d.json()).region.name;
  await ctx.close();
  return name;
}

test("the dashboard shows the consolidation report's numbers", { skip: !process.env.DTSEN_E2E_REPORT }, async () => {
  const report = JSON.parse(readFileSync(process.env.DTSEN_E2E_REPORT, "utf8"));
  const ctx = await browser.newContext();
  const { username, password } = account("operator_kabkota");
  const r = await ctx.request.post(`${BASE}/api/v1/session`, { data: { username, password } });
  const { token } = await r.json();
  const get = async (path) =>
    (await ctx.request.get(`${BASE}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
  const regency = report.coverage.regency.find((e) => e.kode === "3571");
  const d = await get("/api/v1/dashboard");
  assert.equal(d.families, report.families.snapshot);
  assert.equal(d.families, regency.keluarga);
  assert.equal(d.in_dtsen, regency.dalam_dtsen);
  assert.equal(d.siak_population, regency.penduduk_siak_hidup);
  assert.equal(d.coverage_percent, regency.cakupan_persen);
  assert.equal(d.needs_check, regency.keluarga_perlu_verifikasi);
  assert.equal(d.conflicts, report.conflicts.review_pemadanan);
  for (const district of report.coverage.district) {
    const x = await get(`/api/v1/regions/${district.kode}/dashboard`);
    assert.equal(x.families, district.keluarga, district.nama);
    assert.equal(x.in_dtsen, district.dalam_dtsen, district.nama);
  }
  await ctx.close();
});

test("village operator: only the own village, everything else is absent", async () => {
  assert.ok(outside, "needs the regency operator's test first");
  const { context, page } = await login("operator_desa", { width: 390, height: 844 });
  const own = await page.textContent('[data-testid="region-name"]');
  await page.screenshot({ path: `${SHOTS}05-dashboard-desa-phone.png`, fullPage: true });

  // Search: every hit lies in the own village.
  await page.goto(`${BASE}/cari?q=SITI`);
  const villages = await page.locator("#hits tbody tr td:nth-child(4)").allTextContents();
  assert.ok(villages.every((v) => v.trim() === own.trim()), `hits outside ${own}: ${villages}`);
  await page.screenshot({ path: `${SHOTS}06-search-desa.png`, fullPage: true });

  // The family outside: 404 and nothing of it on the page.
  const resp = await page.goto(`${BASE}${outside}`);
  assert.equal(resp.status(), 404);
  assert.equal(await page.locator('[data-testid="member"]').count(), 0);
  assert.match(await page.textContent("main"), /Tidak ditemukan/);
  await page.screenshot({ path: `${SHOTS}07-outside-desa.png`, fullPage: true });

  // The regency's dashboard and the API: 404 too.
  assert.equal((await page.goto(`${BASE}/wilayah/3571`)).status(), 404);
  const [prov, id] = outside.split("/").slice(2);
  const api = await page.request.get(`${BASE}/api/v1/families/${prov}/${id}`);
  assert.equal(api.status(), 404);
  await context.close();
});

test("province: family pages mask NIK and KK", async () => {
  const { context, page } = await login("provinsi");
  await page.goto(`${BASE}${outside}`);
  const kk = (await page.textContent('[data-testid="kk"]')).trim();
  assert.match(kk, /^\d{4}\*{12}$/, `masked KK: ${kk}`);
  const text = await page.textContent("main");
  assert.doesNotMatch(text, /\b\d{16}\b/, "no full 16-digit identifier on the page");
  await page.screenshot({ path: `${SHOTS}08-family-provinsi-masked.png`, fullPage: true });
  await context.close();
});

test("auditor: the views above are in the access log, chain intact", async () => {
  const { context, page } = await login("auditor");
  await page.goto(`${BASE}/audit`);
  assert.match(await page.textContent('[data-testid="chain"]'), /utuh/);
  const body = await page.textContent("main");
  assert.match(body, /family\.view/);
  assert.match(body, /demo\.operator_kabkota/);
  await page.screenshot({ path: `${SHOTS}09-audit.png`, fullPage: true });
  await context.close();
});
