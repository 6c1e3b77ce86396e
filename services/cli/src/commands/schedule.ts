import { Command, Option } from "commander";
import { renderTable, type ApiBody, type ApiResponse } from "@mfnas/core";
import { readDocument } from "../files.ts";
import { emit, shortId, when } from "../output.ts";
import type { Context } from "../context.ts";

type Schedule = ApiResponse<"getSchedule">;
type Change = ApiBody<"updateSchedule">;
const POLICIES = ["skip", "run_once"] as const;

function scheduleLine(s: Schedule): string {
  const next = s.enabled ? `next ${s.nextRuns.map(when).join(", ") || "-"}` : "paused";
  return `schedule ${s.id} "${s.name}" ${s.cron} (${s.timezone}) ${next}`;
}

/** Flags of create and edit that change a field; a spec file (a search spec) replaces the search it starts. */
async function changeOf(options: {
  name?: string;
  cron?: string;
  timezone?: string;
  spec?: string;
  missedRunPolicy?: (typeof POLICIES)[number];
}): Promise<Change> {
  return {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.cron !== undefined ? { cron: options.cron } : {}),
    ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
    ...(options.missedRunPolicy !== undefined ? { missedRunPolicy: options.missedRunPolicy } : {}),
    ...(options.spec !== undefined ? { searchSpec: (await readDocument(options.spec)) as Change["searchSpec"] } : {}),
  };
}

function withFieldOptions(command: Command): Command {
  return command
    .option("--name <name>", "schedule name")
    .option("--cron <expression>", 'five cron fields, e.g. "0 2 * * *" (02:00 every night)')
    .option("--timezone <zone>", "IANA time zone of the cron fields (default UTC)")
    .option("--spec <file>", "search spec the schedule submits (YAML or JSON)")
    .addOption(
      new Option("--missed-run-policy <policy>", "after downtime: skip missed slots or run one").choices(POLICIES),
    );
}

export function scheduleCommand(ctx: Context): Command {
  const schedule = new Command("schedule").description("recurring searches (e.g. nightly)");
  schedule
    .command("list")
    .description("schedules, newest first")
    .option("--enabled", "only enabled schedules")
    .option("--paused", "only paused schedules")
    .action(async (options: { enabled?: boolean; paused?: boolean }) => {
      const enabled = options.enabled ? true : options.paused ? false : undefined;
      const page = await ctx.client().call("listSchedules", { query: { enabled, limit: 200 } });
      emit(ctx.out, page, () =>
        page.items.length === 0
          ? "no schedules"
          : renderTable(
              ["id", "name", "cron", "timezone", "enabled", "next run"],
              page.items.map((s) => [
                s.id,
                s.name,
                s.cron,
                s.timezone,
                s.enabled ? "yes" : "paused",
                when(s.nextRuns[0]),
              ]),
            ),
      );
    });
  schedule
    .command("show")
    .description("a schedule, its next slots and its last runs")
    .argument("<id>", "schedule id")
    .action(async (id: string) => {
      const client = ctx.client();
      const [detail, runs] = await Promise.all([
        client.call("getSchedule", { params: { id } }),
        client.call("listScheduleRuns", { params: { id }, query: { limit: 10 } }),
      ]);
      emit(ctx.out, { ...detail, runs: runs.items }, () =>
        [
          scheduleLine(detail),
          runs.items.length === 0
            ? "no runs yet"
            : renderTable(
                ["slot", "search", "status"],
                runs.items.map((r) => [when(r.slot), shortId(r.searchId), r.search?.status ?? "-"]),
              ),
        ].join("\n"),
      );
    });
  withFieldOptions(
    schedule
      .command("create")
      .description("create a schedule from a file ({name, cron, timezone?, searchSpec}) and/or flags")
      .argument("[file]", "schedule file (YAML or JSON); flags override its fields"),
  ).action(async (file: string | undefined, options: Parameters<typeof changeOf>[0]) => {
    const fromFile = file !== undefined ? ((await readDocument(file)) as Record<string, unknown>) : {};
    const body = { ...fromFile, ...(await changeOf(options)) } as ApiBody<"createSchedule">;
    const created = await ctx.client().call("createSchedule", { body });
    emit(ctx.out, created, () => scheduleLine(created));
  });
  withFieldOptions(
    schedule.command("edit").description("change a schedule's fields").argument("<id>", "schedule id"),
  ).action(async (id: string, options: Parameters<typeof changeOf>[0]) => {
    const changed = await ctx.client().call("updateSchedule", { params: { id }, body: await changeOf(options) });
    emit(ctx.out, changed, () => scheduleLine(changed));
  });
  for (const [name, enabled, what] of [
    ["pause", false, "stop a schedule from starting searches (its history is kept)"],
    ["resume", true, "let a paused schedule start searches again"],
  ] as const) {
    schedule
      .command(name)
      .description(what)
      .argument("<id>", "schedule id")
      .action(async (id: string) => {
        const changed = await ctx.client().call("updateSchedule", { params: { id }, body: { enabled } });
        emit(ctx.out, changed, () => scheduleLine(changed));
      });
  }
  schedule
    .command("delete")
    .description("delete a schedule and its slot history (the searches it started stay)")
    .argument("<id>", "schedule id")
    .action(async (id: string) => {
      await ctx.client().call("deleteSchedule", { params: { id } });
      emit(ctx.out, { id, deleted: true }, () => `schedule ${id} deleted`);
    });
  return schedule;
}
