import { Command, Option } from "commander";
import { renderTable, type ApiQuery, type ApiResponse } from "@mfnas/core";
import { CliError } from "../client.ts";
import { emit, when } from "../output.ts";
import type { Context } from "../context.ts";

type Device = ApiResponse<"listDevices">["items"][number];
type State = NonNullable<ApiQuery<"listDevices">["state"]>;

/** The parts of a phone's stored health snapshot (a JSON document the agent writes) that the table shows. */
interface Health {
  battery?: { levelPercent?: number | null; temperatureC?: number | null };
  thermalZones?: { celsius?: number }[];
}

function healthOf(device: Device): Health {
  return typeof device.health === "object" && device.health !== null ? device.health : {};
}

function figure(value: number | null | undefined, unit: string): string {
  return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value * 10) / 10}${unit}` : "-";
}

/** The hottest thermal zone of the latest health snapshot. */
function hottest(device: Device): number | null {
  const zones = healthOf(device).thermalZones ?? [];
  const temperatures = zones.map((z) => z.celsius).filter((c): c is number => typeof c === "number");
  return temperatures.length > 0 ? Math.max(...temperatures) : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A phone's id from its id or its serial (what people read off the table or `adb devices`). */
async function deviceId(ctx: Context, idOrSerial: string): Promise<string> {
  if (UUID.test(idOrSerial)) return idOrSerial;
  const { items } = await ctx.client().call("listDevices", {});
  const device = items.find((d) => d.serial === idOrSerial);
  if (!device) throw new CliError(`no device has the id or serial ${idOrSerial}`);
  return device.id;
}

function deviceLine(d: Device): string {
  return `device ${d.serial} (${d.deviceClass}) ${d.state}${d.quarantineReason ? `: ${d.quarantineReason}` : ""}`;
}

export function devicesCommand(ctx: Context): Command {
  const devices = new Command("devices")
    .description("phones of the device lab with their health")
    .option("--class <deviceClass>", "only this device class")
    .addOption(
      new Option("--state <state>", "only this state").choices(["online", "offline", "unauthorized", "quarantined"]),
    )
    .action(async (options: { class?: string; state?: State }) => {
      const { items } = await ctx.client().call("listDevices", {
        query: { deviceClass: options.class, state: options.state },
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
                figure(healthOf(d).battery?.levelPercent, "%"),
                figure(healthOf(d).battery?.temperatureC, " °C"),
                figure(hottest(d), " °C"),
                d.agentHost ?? "-",
                when(d.lastSeenAt),
                d.quarantineReason ?? "",
              ]),
            ),
      );
    });
  devices
    .command("quarantine")
    .description("take a phone out of service: no measurement is sent to it until it is released")
    .argument("<device>", "device id or serial")
    .requiredOption("--reason <text>", "why (shown on the dashboard and in `mfnas devices`)")
    .action(async (device: string, options: { reason: string }) => {
      const changed = await ctx.client().call("quarantineDevice", {
        params: { id: await deviceId(ctx, device) },
        body: { reason: options.reason },
      });
      emit(ctx.out, changed, () => deviceLine(changed));
    });
  devices
    .command("release")
    .description("end a phone's quarantine")
    .argument("<device>", "device id or serial")
    .action(async (device: string) => {
      const changed = await ctx.client().call("releaseDevice", { params: { id: await deviceId(ctx, device) } });
      emit(ctx.out, changed, () => deviceLine(changed));
    });
  return devices;
}
