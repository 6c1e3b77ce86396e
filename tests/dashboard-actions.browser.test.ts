// The dashboard's actions and analysis pages in Debian's headless Chromium (playwright-core) against a real API on
// Postgres and Redis: submitting a search from the schema-checked editor, cancel / resume / clone, starting a
// supernet training and following its curves, creating, pausing and editing schedules with their nights' fronts,
// quarantining and releasing a phone, keys whose scope is too small, the candidates table, parallel coordinates,
// the front plot's fitted ranges, log axes, zoom and pan, and empty or failed results said in words. Each test
// saves a screenshot under .tmp/dashboard/.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS } from "@mfnas/core";
import { SupernetRepository } from "@mfnas/store";
import { listenLocally, startTestApi, type TestApi } from "./support/api.ts";
import { seedSearchResults } from "./support/api-seed.ts";
import { chromiumAvailable, openDashboard, type DashboardBrowser } from "./support/browser.ts";

const TARGET = "pixel-7";

describe.skipIf(!chromiumAvailable)("dashboard actions and analysis in headless Chromium", () => {
  let t: TestApi;
  let base: string;
  let browser: DashboardBrowser;
  let page: Page;
  let supernetId: string;

  beforeAll(async () => {
    t = await startTestApi();
    base = await listenLocally(t);
    // A ready supernet with a checkpoint (submit refuses one without) and a phone of the target's class.
    const supernet = await t.database.db.supernet.create({
      data: { name: "ready supernet", searchSpace: {}, trainingConfig: {}, status: "ready" },
    });
    supernetId = supernet.id;
    const checkpoint = await t.artifacts.put({ bytes: new TextEncoder().encode("checkpoint"), kind: "checkpoint" });
    await t.database.db.supernetCheckpoint.create({
      data: { supernetId, step: 10, artifactSha256: checkpoint.sha256 },
    });
    const response = await t.app.inject({
      method: "PUT",
      url: "/v1/agent/devices/emu-7a",
      headers: t.auth.agent,
      payload: { deviceClass: TARGET, model: "Pixel 7 (emulated)", soc: "Tensor G2", state: "online" },
    });
    expect(response.statusCode).toBeLessThan(300);
    browser = await openDashboard(base);
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Replaces the editor's text the way typing does (an input event per change). */
  const typeSpec = async (selector: string, value: unknown) => {
    await page.fill(selector, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  };

  it("submits a search from the editor, checked against the API's schema as it is typed", async () => {
    await browser.signIn(t.auth.submit);
    await page.goto(`${base}/#/submit`);
    // The starter spec names the ready supernet and the phone's class, and is valid.
    await page.waitForSelector(".editor-status .ok");
    const starter = JSON.parse(await page.inputValue("textarea[name=spec]")) as Record<string, unknown>;
    expect(starter["supernet"]).toEqual({ id: supernetId });
    expect(starter["targets"]).toEqual([{ deviceClass: TARGET, maxLatencyMs: 50 }]);

    // Bad fields are listed as they are typed, named the way the API names them; nothing is sent.
    const bad = { ...starter, budget: { generations: 0, population: 8 }, colour: "red", seed: -1 };
    await typeSpec("textarea[name=spec]", bad);
    await expect
      .poll(() => page.locator(".schema-errors li").allTextContents())
      .toEqual(["seed: must be at least 0", "budget.generations: must be at least 1", "colour: is not allowed"]);
    await typeSpec("textarea[name=spec]", '{ "name": ');
    await expect.poll(() => page.textContent(".editor-status")).toMatch(/^Not JSON: /);
    await browser.screenshot("submit-invalid");
    const before = await t.database.db.search.count();
    await page.click("form.submit-form button[type=submit]");
    await expect.poll(() => page.textContent("#submit-outcome")).toContain("Fix the spec first");
    expect(await t.database.db.search.count()).toBe(before);

    // A valid spec is submitted and the page moves to the new search, queued.
    await typeSpec("textarea[name=spec]", { ...starter, name: "from the editor", seed: 5 });
    await page.waitForSelector(".editor-status .ok");
    await page.click("form.submit-form button[type=submit]");
    await page.waitForURL(/#\/searches\/[0-9a-f-]{36}$/);
    const id = page.url().split("/").pop()!;
    const row = await t.database.db.search.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ name: "from the editor", seed: 5, status: "queued" });
    expect((await t.jobs.queue("search").getJob(`${JOBS.searchRun.name}-${id}`))?.data).toEqual({ searchId: id });
    await page.waitForSelector(".page-head .badge[data-status=queued]");
    // A queued search with nothing evaluated says so in words.
    await expect.poll(() => page.textContent("#front-plot")).toBe("No candidate evaluated yet.");
    expect(await page.textContent("#candidates-count")).toBe("No candidates yet.");
  });

  it("cancels, resumes and clones a search from its page", async () => {
    const [search] = await t.database.db.search.findMany({ where: { name: "from the editor" } });
    await page.goto(`${base}/#/searches/${search!.id}`);
    await page.click(".page-head button.cancel");
    await page.waitForSelector(".page-head .badge[data-status=cancelled]");
    expect((await t.database.db.search.findUniqueOrThrow({ where: { id: search!.id } })).status).toBe("cancelled");
    await expect.poll(() => page.textContent("#result")).toBe("No result was stored.");

    await page.click(".page-head button.resume");
    await page.waitForSelector(".page-head .badge[data-status=queued]");
    expect((await t.database.db.search.findUniqueOrThrow({ where: { id: search!.id } })).status).toBe("queued");
    expect(await page.textContent("#result")).toBe("Not finished yet.");
    await browser.screenshot("search-actions");

    await page.click(".page-head button.clone");
    await page.waitForURL((url) => !url.hash.endsWith(search!.id) && /#\/searches\/[0-9a-f-]{36}$/.test(url.hash));
    const cloneId = page.url().split("/").pop()!;
    const clone = await t.database.db.search.findUniqueOrThrow({ where: { id: cloneId } });
    expect(clone.name).toBe("from the editor (clone)");
    expect(clone.spec).toMatchObject({ supernet: { id: supernetId }, budget: { generations: 5, population: 8 } });
    await page.waitForSelector(".page-head h1:text('from the editor (clone)')");

    // "Edit spec as new" opens the editor on that search's spec.
    await page.click(".page-head a.edit-spec");
    await page.waitForSelector(".editor-status .ok");
    const spec = JSON.parse(await page.inputValue("textarea[name=spec]")) as { name: string; seed: number };
    expect(spec).toMatchObject({ name: "from the editor (clone) (edited)", seed: 5 });
  });

  it("starts a supernet training and follows its loss and image-rate curves and checkpoints", async () => {
    await page.goto(`${base}/#/supernets`);
    await page.waitForSelector("table.supernets");
    await page.click("details.new-supernet summary");
    await page.waitForSelector(".train-form .editor-status .ok");
    const config = JSON.parse(await page.inputValue("textarea[name=trainingConfig]")) as Record<string, unknown>;
    await typeSpec("textarea[name=trainingConfig]", { ...config, steps: 0, data: { train: "photos-train" } });
    await expect
      .poll(() => page.locator(".train-form .schema-errors li").allTextContents())
      .toEqual(["trainingConfig.data.val: is required", "trainingConfig.steps: must be at least 1"]);
    await typeSpec("textarea[name=trainingConfig]", { ...config, steps: 40 });
    await page.fill(".train-form input[name=name]", "trained from the dashboard");
    await page.waitForSelector(".train-form .editor-status .ok");
    await page.click(".train-form button[type=submit]");
    await page.waitForURL(/#\/supernets\/[0-9a-f-]{36}$/);
    const id = page.url().split("/").pop()!;
    expect(await t.database.db.supernet.findUniqueOrThrow({ where: { id } })).toMatchObject({
      name: "trained from the dashboard",
      status: "queued",
    });
    expect((await t.jobs.queue("train").getJob(`${JOBS.trainSupernet.name}-${id}`))?.data).toEqual({ supernetId: id });
    await page.waitForSelector(".page-head .badge[data-status=queued]");
    expect(await page.textContent("#loss-plot")).toBe("No training step logged yet.");
    expect(await page.textContent("#checkpoints")).toBe("No checkpoint saved yet.");

    // The trainer's writes: progress every 5 steps with three losses, a checkpoint at step 20.
    const trainer = new SupernetRepository(t.database.db);
    await trainer.markTraining(id);
    for (let step = 5; step <= 30; step += 5) {
      await trainer.recordProgress({
        supernetId: id,
        step,
        losses: { pixel: 1 / step, perceptual: 2 / step, adversarial: 0.01 + step / 1000 },
        imagesPerSecond: 3 + step / 10,
      });
    }
    const checkpoint = await t.artifacts.put({ bytes: new TextEncoder().encode("step 20"), kind: "checkpoint" });
    await trainer.recordCheckpoint({
      supernetId: id,
      step: 20,
      artifactSha256: checkpoint.sha256,
      metrics: { psnr: 27.5, ssim: 0.8131 },
    });
    await page.waitForSelector(".page-head .badge[data-status=training]");
    await expect.poll(() => page.locator("#loss-plot path.series").count()).toBe(3);
    await expect.poll(() => page.getAttribute("#loss-plot path.series[data-series=pixel]", "data-points")).toBe("6");
    expect(await page.getAttribute("#rate-plot path.series", "data-points")).toBe("6");
    await expect.poll(() => page.textContent(".supernet-progress .progress-label")).toBe("step 30 of 40");
    await expect.poll(() => page.locator("table.checkpoints tbody tr").count()).toBe(1);
    expect((await page.locator("table.checkpoints tbody tr td").allTextContents()).slice(0, 2)).toEqual([
      "20",
      "psnr 27.500 · ssim 0.813",
    ]);
    await browser.screenshot("supernet");

    // A checkpoint's "search with it" opens the editor on a spec that names this supernet at that step.
    await page.click("table.checkpoints a:text('search with it')");
    await page.waitForSelector(".editor-status .ok");
    const spec = JSON.parse(await page.inputValue("textarea[name=spec]")) as { supernet: object };
    expect(spec.supernet).toEqual({ id, checkpointStep: 20 });
    await page.goBack();
    await page.waitForSelector(".page-head .badge[data-status=training]");

    await page.click(".page-head button.cancel");
    await page.waitForSelector(".page-head .badge[data-status=cancelled]");
    expect((await t.database.db.supernet.findUniqueOrThrow({ where: { id } })).status).toBe("cancelled");
  });

  it("creates, pauses and edits a schedule, and shows its nights' fronts", async () => {
    await browser.signIn(t.auth.admin);
    await page.goto(`${base}/#/schedules`);
    await expect
      .poll(() => page.textContent("#schedules-list"))
      .toBe("No schedule yet: create one to re-run a search every night.");
    await page.click("button.new-schedule");
    await page.waitForSelector(".schedule-form .editor-status .ok");
    await page.fill(".schedule-form input[name=name]", "nightly pixel-7");
    await page.fill(".schedule-form input[name=cron]", "61 2 * * *");
    await page.click(".schedule-form button[type=submit]");
    // The API's answer names the bad field.
    await expect.poll(() => page.textContent(".schedule-form .outcome")).toContain("cron");
    expect(await t.database.db.schedule.count()).toBe(0);
    await page.fill(".schedule-form input[name=cron]", "0 2 * * *");
    await page.click(".schedule-form button[type=submit]");
    await page.waitForSelector("table.schedules .badge[data-status=enabled]");
    const schedule = await t.database.db.schedule.findFirstOrThrow({ where: { name: "nightly pixel-7" } });
    expect(schedule).toMatchObject({ cron: "0 2 * * *", timezone: "UTC", enabled: true });
    expect(schedule.searchSpec).toMatchObject({ supernet: { id: supernetId } });

    await page.click("table.schedules button.pause");
    await page.waitForSelector("table.schedules .badge[data-status=paused]");
    expect((await t.database.db.schedule.findUniqueOrThrow({ where: { id: schedule.id } })).enabled).toBe(false);

    await page.click("table.schedules button.edit");
    await page.waitForSelector(".schedule-form[data-mode=edit] .editor-status .ok");
    expect(await page.inputValue(".schedule-form input[name=cron]")).toBe("0 2 * * *");
    await page.fill(".schedule-form input[name=cron]", "30 3 * * 1-5");
    await page.fill(".schedule-form input[name=timezone]", "Europe/Paris");
    await page.click(".schedule-form button[type=submit]");
    await expect.poll(() => page.textContent("table.schedules tbody")).toContain("30 3 * * 1-5");
    expect(await t.database.db.schedule.findUniqueOrThrow({ where: { id: schedule.id } })).toMatchObject({
      cron: "30 3 * * 1-5",
      timezone: "Europe/Paris",
      enabled: false,
    });
    await browser.screenshot("schedules");

    // Three nights, each a finished search with a front, the last night the best.
    const nights = [];
    for (const [n, hv] of [10, 12, 15].entries()) {
      const night = await seedSearchResults(t.database.db, { candidates: 24, generations: 2, seed: 20 + n });
      await t.database.db.search.update({
        where: { id: night.id },
        data: { scheduleId: schedule.id, name: `night ${n + 1}` },
      });
      await t.database.db.generation.updateMany({ where: { searchId: night.id, index: 1 }, data: { hypervolume: hv } });
      await t.database.db.scheduleRun.create({
        data: { scheduleId: schedule.id, slot: new Date(Date.UTC(2026, 11, 5 + n, 2, 30)), searchId: night.id },
      });
      nights.push(night);
    }
    await page.click(`table.schedules a:text("nightly pixel-7")`);
    await page.waitForSelector("#nights-plot svg");
    expect(await page.locator("#nights-plot path.front-line").count()).toBe(3);
    expect(await page.locator("#nights-summary .legend-item").count()).toBe(3);
    expect(await page.locator("table.trend tbody tr").count()).toBe(3);
    expect(await page.textContent(".trend-comparison")).toBe(
      "Latest night's hypervolume 15.0000: +3.0000 from the night before; the best night so far.",
    );
    expect(await page.locator("#trend-plot .hv-point").count()).toBe(3);
    expect(await page.textContent("#nights-summary .nights-count")).toBe(
      `3 nights' fronts on ${TARGET}, newest darkest`,
    );
    await browser.screenshot("schedule-nights");
  });

  it("quarantines a phone with a reason and releases it", async () => {
    await page.goto(`${base}/#/lab`);
    const row = page.locator("table.lab-phones tbody tr", { hasText: "emu-7a" });
    await row.locator("button.quarantine").waitFor();
    await row.locator("button.quarantine").click();
    await expect
      .poll(() => page.textContent(".lab-problem"))
      .toBe("Say why the phone is taken out of service (the reason box).");
    await row.locator("input[name=reason]").fill("battery swelling");
    await row.locator("button.quarantine").click();
    await row.locator(".badge[data-status=quarantined]").waitFor();
    expect(await page.textContent(".lab-problem")).toBe("");
    expect(await row.textContent()).toContain("battery swelling");
    const device = await t.database.db.device.findUniqueOrThrow({ where: { serial: "emu-7a" } });
    expect(device).toMatchObject({ state: "quarantined", quarantineReason: "battery swelling" });
    await browser.screenshot("lab-quarantined");
    await row.locator("button.release").click();
    await row.locator(".badge[data-status=offline]").waitFor();
    expect((await t.database.db.device.findUniqueOrThrow({ where: { serial: "emu-7a" } })).state).toBe("offline");
  });

  it("shows a read key every action disabled, with the scope it lacks", async () => {
    await browser.signIn(t.auth.read);
    const [search] = await t.database.db.search.findMany({ where: { name: "from the editor" } });
    await page.goto(`${base}/#/searches/${search!.id}`);
    const reason = "needs the submit scope; this key has read";
    for (const action of ["cancel", "clone"]) {
      const button = page.locator(`.page-head button.${action}`);
      await button.waitFor();
      await expect.poll(() => button.getAttribute("data-reason")).toBe(reason);
      expect(await button.isDisabled()).toBe(true);
    }
    expect(await page.textContent(".page-head .reason")).toBe(` ${reason}`);
    await browser.screenshot("read-key-search");
    await page.goto(`${base}/#/submit`);
    await expect.poll(() => page.getAttribute("form.submit-form button[type=submit]", "data-reason")).toBe(reason);
    expect(await page.isDisabled("form.submit-form button[type=submit]")).toBe(true);
    const admin = "needs the admin scope; this key has read";
    await page.goto(`${base}/#/lab`);
    await expect.poll(() => page.getAttribute("table.lab-phones button.quarantine", "data-reason")).toBe(admin);
    expect(await page.isDisabled("table.lab-phones button.quarantine")).toBe(true);
    await page.goto(`${base}/#/schedules`);
    for (const selector of ["button.new-schedule", "table.schedules button.unpause", "table.schedules button.edit"]) {
      await expect.poll(() => page.getAttribute(selector, "data-reason")).toBe(admin);
      expect(await page.isDisabled(selector)).toBe(true);
    }
  });

  it("analyses a search: candidates table, parallel coordinates, fitted and log axes, zoom and pan", async () => {
    const seeded = await seedSearchResults(t.database.db, {
      candidates: 60,
      generations: 4,
      seed: 9,
      name: "analysed",
    });
    // A constraint far beyond every candidate (the axis must not stretch to it) and one candidate failed for good.
    const row = await t.database.db.search.findUniqueOrThrow({ where: { id: seeded.id } });
    const spec = row.spec as { targets: object[] };
    await t.database.db.search.update({
      where: { id: seeded.id },
      data: { spec: { ...spec, targets: [{ deviceClass: TARGET, maxLatencyMs: 10_000 }] } },
    });
    const [failed] = await t.database.db.candidate.findMany({ where: { searchId: seeded.id }, take: 1 });
    await t.database.db.candidate.update({
      where: { id: failed!.id },
      data: { error: "evaluation failed: out of memory", psnr: null, ssim: null },
    });
    await page.goto(`${base}/#/searches/${seeded.id}`);
    await expect.poll(() => page.locator("table.candidates tbody tr").count()).toBe(60);
    expect(await page.textContent("#candidates-count")).toBe("60 of 60 candidates");

    // Sort by PSNR both ways (missing figures last), then filter.
    const psnrs = async () =>
      (await page.locator("table.candidates tbody td[data-key=psnr]").allTextContents()).filter((v) => v !== "–");
    await page.click("table.candidates th[data-key=psnr] button");
    const up = (await psnrs()).map(Number);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(await page.locator("table.candidates tbody tr").last().getAttribute("data-status")).toBe("failed");
    await page.click("table.candidates th[data-key=psnr] button");
    const down = (await psnrs()).map(Number);
    expect(down).toEqual([...up].reverse());
    await page.selectOption("select[name=candidate-status]", "failed");
    await expect.poll(() => page.locator("table.candidates tbody tr").count()).toBe(1);
    expect(await page.textContent("table.candidates tbody td[data-key=error]")).toBe(
      "evaluation failed: out of memory",
    );
    expect(await page.getAttribute("table.candidates tbody td[data-key=genome] a", "href")).toBe(
      `#/searches/${seeded.id}/candidates/${failed!.id}`,
    );
    await page.selectOption("select[name=candidate-status]", "");
    await page.fill("input[name=candidate-filter]", "no such genome");
    await expect.poll(() => page.textContent("#candidates-count")).toBe("No candidate matches (60 in all).");
    await page.fill("input[name=candidate-filter]", "");

    // Parallel coordinates: one line per candidate, genes then objectives.
    expect(await page.locator("#parallel-plot .pc-line").count()).toBe(60);
    const axes = await page
      .locator("#parallel-plot .pc-axis")
      .evaluateAll((els: { getAttribute(name: string): string | null }[]) =>
        els.map((e) => e.getAttribute("data-axis")),
      );
    expect(axes.slice(0, 2)).toEqual(["trunk width", "blocks"]);
    expect(axes.slice(-3)).toEqual(["MACs (G)", "PSNR dB", `${TARGET} ms`]);

    // The latency axis fits the candidates; the far constraint is an arrow at the edge.
    const latencies = await t.database.db.candidateLatency.findMany({
      where: { candidate: { searchId: seeded.id } },
      select: { measuredMs: true, predictedMs: true },
    });
    const shown = latencies.map((l) => l.measuredMs ?? l.predictedMs!);
    const range = async () =>
      ((await page.getAttribute("#front-plot svg", "data-x-range")) ?? "").split(" ").map(Number);
    const [lo, hi] = await range();
    expect(hi!).toBeGreaterThan(Math.max(...shown));
    expect(hi!).toBeLessThan(Math.max(...shown) * 1.2);
    expect(lo!).toBeGreaterThanOrEqual(0);
    expect(lo!).toBeLessThan(Math.min(...shown));
    expect(await page.textContent("#front-plot .constraint.off-range")).toBe("max 10000 ms →");
    await browser.screenshot("analysis");

    // Log latency axis: still fitted, ticks at 1-2-5.
    await page.check("#front-plot input[name=logX]");
    await expect.poll(() => page.isChecked("#front-plot input[name=logX]")).toBe(true);
    const [logLo, logHi] = await range();
    expect(logLo!).toBeGreaterThan(0);
    expect(logHi!).toBeLessThan(Math.max(...shown) * 1.5);
    await browser.screenshot("analysis-log");
    await page.uncheck("#front-plot input[name=logX]");

    // Wheel zooms in around the pointer; dragging pans; reset fits again.
    const box = (await page.locator("#front-plot svg").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -300);
    await expect.poll(() => page.getAttribute("#front-plot svg", "data-zoomed")).toBe("true");
    const [zLo, zHi] = await range();
    expect(zHi! - zLo!).toBeLessThan((hi! - lo!) * 0.9);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await expect.poll(async () => (await range())[0]! < zLo!).toBe(true);
    const [pLo, pHi] = await range();
    // Panning keeps the zoom (the ranges are written with six significant digits).
    expect(Math.abs(pHi! - pLo! - (zHi! - zLo!))).toBeLessThan(1e-4 * (zHi! - zLo!));
    await browser.screenshot("analysis-zoomed");
    await page.click("#front-plot button.reset-view");
    await expect.poll(() => page.getAttribute("#front-plot svg", "data-zoomed")).toBe("false");
    expect(await range()).toEqual([lo, hi]);
  });

  it("says in words when a search failed before any candidate", async () => {
    const failed = await t.database.db.search.create({
      data: {
        name: "failed early",
        seed: 0,
        status: "failed",
        error: "supernet 00000000-0000-4000-8000-000000000000 has no checkpoint",
        spec: { name: "failed early", targets: [{ deviceClass: TARGET }], budget: { generations: 2, population: 4 } },
      },
    });
    await page.goto(`${base}/#/searches/${failed.id}`);
    await page.waitForSelector(".page-head .badge[data-status=failed]");
    await expect
      .poll(() => page.textContent(".search-progress .error"))
      .toBe("supernet 00000000-0000-4000-8000-000000000000 has no checkpoint");
    await expect
      .poll(() => page.textContent("#front-plot"))
      .toBe("This search failed without evaluating any candidate.");
    await expect.poll(() => page.textContent("#candidates-count")).toBe("No candidates yet.");
    await expect.poll(() => page.textContent("#result")).toBe("No result was stored.");
    await browser.screenshot("search-failed");
  });
});
