// Uploading artifacts from the dashboard in Debian's headless Chromium (playwright-core) against a real API on
// Postgres: a teacher's safetensors file chosen in the file input, its sha256 computed in the browser and checked by
// the API, the stored sha256 shown; a tar.gz of shipped photographs as a dataset; a file that is not what its kind says refused in words; a read key's upload
// button disabled with the scope it lacks. Screenshots under .tmp/dashboard/.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenLocally, startTestApi, type TestApi } from "./support/api.ts";
import { chromiumAvailable, openDashboard, type DashboardBrowser } from "./support/browser.ts";

const TEACHER = fileURLToPath(new URL("../services/trainer/fixtures/tiny-teacher-x4.safetensors", import.meta.url));
const PHOTOS = fileURLToPath(new URL("../packages/model/assets/photos/train", import.meta.url));

describe.skipIf(!chromiumAvailable)("dashboard uploads in headless Chromium", () => {
  let t: TestApi;
  let base: string;
  let browser: DashboardBrowser;
  let page: Page;

  beforeAll(async () => {
    t = await startTestApi();
    base = await listenLocally(t);
    browser = await openDashboard(base);
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const openUpload = async () => {
    // A fresh page each time (going to the same hash would keep the last test's form and outcome).
    await page.goto(`${base}/#/supernets`);
    await page.reload();
    await page.click("details.upload-artifact summary");
  };

  it("uploads a teacher's safetensors with the sha256 computed in the browser, and shows the stored sha256", async () => {
    await browser.signIn(t.auth.submit);
    await openUpload();
    const button = page.locator("form.upload-form button[type=submit]");
    await expect.poll(() => button.isEnabled()).toBe(true);
    await page.click("form.upload-form button[type=submit]");
    await expect.poll(() => page.textContent("#upload-outcome")).toBe("Choose a file to upload first.");

    const expected = createHash("sha256")
      .update(await readFile(TEACHER))
      .digest("hex");
    await page.selectOption("form.upload-form select[name=kind]", "teacher-weights");
    await page.setInputFiles("form.upload-form input[name=file]", TEACHER);
    await page.click("form.upload-form button[type=submit]");
    await page.waitForSelector("#upload-outcome .uploaded-sha256");
    expect(await page.textContent("#upload-outcome .uploaded-sha256")).toBe(expected);
    expect(await page.textContent("#upload-outcome")).toContain(
      `tiny-teacher-x4.safetensors: stored as ${expected}In a training config: teacher: { kind: rrdbnet, weights: ${expected} }`,
    );
    const row = await t.database.db.artifact.findUnique({ where: { sha256: expected } });
    expect(row).toMatchObject({ kind: "weights", metadata: { upload: "teacher-weights" } });
    expect(await readFile(new URL(row!.uri))).toEqual(await readFile(TEACHER));
    await browser.screenshot("upload-teacher");

    // The same bytes again: already stored, same sha256.
    await page.click("form.upload-form button[type=submit]");
    await expect.poll(() => page.textContent("#upload-outcome")).toContain(`already stored as ${expected}`);
  });

  it("uploads a tar.gz of photographs as a dataset, to be named in a training config", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "mfnas-upload-"));
    try {
      const archive = path.join(folder, "photos.tar.gz");
      await promisify(execFile)("tar", ["czf", archive, "-C", PHOTOS, "brick.png", "coins.png"]);
      const expected = createHash("sha256")
        .update(await readFile(archive))
        .digest("hex");
      await openUpload();
      await page.selectOption("form.upload-form select[name=kind]", "dataset");
      await page.setInputFiles("form.upload-form input[name=file]", archive);
      await page.click("form.upload-form button[type=submit]");
      await page.waitForSelector("#upload-outcome .uploaded-sha256");
      expect(await page.textContent("#upload-outcome .uploaded-sha256")).toBe(expected);
      expect(await page.textContent("#upload-outcome")).toContain(`data: { train: "artifact:${expected}", ... }`);
      const row = await t.database.db.artifact.findUnique({ where: { sha256: expected } });
      expect(row).toMatchObject({ kind: "dataset", mediaType: "application/gzip", metadata: { images: 2, files: 2 } });
      await browser.screenshot("upload-dataset");
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("says in words why a file is not what its kind says, and stores nothing", async () => {
    await openUpload();
    const before = await t.database.db.artifact.count();
    await page.selectOption("form.upload-form select[name=kind]", "dataset");
    await page.setInputFiles("form.upload-form input[name=file]", TEACHER);
    await page.click("form.upload-form button[type=submit]");
    await page.waitForSelector("#upload-outcome .error");
    expect(await page.textContent("#upload-outcome .error")).toMatch(
      /^400: body: not a dataset upload: not a tar or tar\.gz archive of images/,
    );
    expect(await t.database.db.artifact.count()).toBe(before);
    await browser.screenshot("upload-refused");
  });

  it("shows a read key the upload disabled, with the scope it lacks", async () => {
    await browser.signIn(t.auth.read);
    await openUpload();
    const reason = "needs the submit scope; this key has read";
    await expect.poll(() => page.getAttribute("form.upload-form button[type=submit]", "data-reason")).toBe(reason);
    expect(await page.isDisabled("form.upload-form button[type=submit]")).toBe(true);
    expect(await page.textContent("form.upload-form .reason")).toBe(` ${reason}`);
    await browser.screenshot("upload-read-key");
  });
});
