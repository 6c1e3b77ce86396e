import { Command, Option } from "commander";
import { renderTable } from "@mfnas/core";
import { emit, when } from "../output.ts";
import type { Context } from "../context.ts";

interface Device {
  serial: string;
  model: string;
  soc: string | null;
  deviceClass: string;
  agentHost: string | null;
  state: string;
  quarantineReason: string | null;
  lastSeenAt: string | null;
  health: {
    battery?: { levelPercent?: number | null; temperatureC?: number | null };
    thermalZones?: { celsius?: number }[];
  } | null;
}

function figure(value: number | null | undefined, unit: string): string {
  return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value * 10) / 10}${unit}` : "-";
}

/** The hottest thermal zone of the latest health snapshot. */
function hottest(device: Device): number | null {
  const zones = device.health?.thermalZones ?? [];
  const temperatures = zones.map((z) => z.celsius).filter((c): c is number => typeof c === "number");
  return temperatures.length > 0 ? Math.max(...temperatures) : null;
}

export function devicesCommand(ctx: Context): Command {
  return new Command("devices")
    .description("phones of the device lab with their health")
    .option("--class <deviceClass>", "only this device class")
    .addOption(
      new Option("--state <state>", "only this state").choices(["online", "offline", "unauthorized", "quarantined"]),
    )
    .action(async (options: { class?: string; state?: string }) => {
      const { items } = await ctx.client().get<{ items: Device[] }>("/devices", {
        deviceClass: options.class,
        state: options.state,
      });
      emit(ctx.out, { items }, () =>
        items.length === 0
          ? "no devices"
          : renderTable(
              [
                "serial",
                "model",
                "class",
                "state",
                "battery",
                "battery temp",
                "hottest zone",
                "host",
                "last seen",
                "note",
              ],
              items.map((d) => [
                d.serial,
                d.model,
                d.deviceClass,
                d.state,
                figure(d.health?.battery?.levelPercent, "%"),
                figure(d.health?.battery?.temperatureC, " °C"),
                figure(hottest(d), " °C"),
                d.agentHost ?? "-",
                when(d.lastSeenAt),
                d.quarantineReason ?? "",
              ]),
            ),
      );
    });
}
