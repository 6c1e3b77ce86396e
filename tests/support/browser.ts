// Debian's headless Chromium driven by playwright-core (no browser is ever downloaded), signed in to a test API's
// dashboard, with screenshots kept under .tmp/dashboard/ for a person to look at.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const required = process.env["MFNAS_REQUIRE_RUNTIMES"] !== undefined && process.env["MFNAS_REQUIRE_RUNTIMES"] !== "";
/** Whether the browser tests can run here (they fail instead of skipping when MFNAS_REQUIRE_RUNTIMES is set). */
export const chromiumAvailable = existsSync(CHROMIUM);
if (required && !chromiumAvailable) {
  throw new Error(`MFNAS_REQUIRE_RUNTIMES is set but ${CHROMIUM} is missing (apt-get install chromium)`);
}

const SCREENSHOTS = path.resolve(import.meta.dirname, "../../.tmp/dashboard");

export interface DashboardBrowser {
  readonly page: Page;
  /** Signs in with a Bearer header's key through the key box and waits for the searches list. */
  signIn(auth: { authorization: string }): Promise<void>;
  /** Saves a full-page PNG as .tmp/dashboard/<name>.png. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** One browser for a test file, on a fresh profile, at the dashboard of the API listening at `base`. */
export async function openDashboard(base: string): Promise<DashboardBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), "mfnas-chromium-"));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(45_000); // generous: a busy machine renders slowly
  const browserContext = context;
  return {
    page,
    async signIn(auth) {
      // The key lives in the tab's sessionStorage: clear it so the key box shows, then sign in through it.
      await page.goto(`${base}/`);
      await page.evaluate("sessionStorage.clear()");
      await page.goto(`${base}/#/`);
      await page.reload();
      await page.fill("input[name=apiKey]", auth.authorization.replace(/^Bearer /, ""));
      await page.click("form.login button[type=submit]");
      await page.waitForSelector("table.searches");
    },
    async screenshot(name) {
      await mkdir(SCREENSHOTS, { recursive: true });
      const file = path.join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await browserContext.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
