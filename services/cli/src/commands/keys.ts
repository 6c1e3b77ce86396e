import { Command, Option } from "commander";
import { renderTable, type ApiBody, type ApiResponse } from "@mfnas/core";
import { emit, when } from "../output.ts";
import type { Context } from "../context.ts";

type Key = ApiResponse<"listApiKeys">["items"][number];
type Scope = Key["scopes"][number];
const SCOPES: readonly Scope[] = ["read", "submit", "admin", "agent"];

function keyRow(k: Key): (string | number)[] {
  return [
    k.id,
    k.name,
    k.prefix,
    k.scopes.join("+"),
    k.deviceClass ?? "",
    when(k.lastUsedAt),
    k.revokedAt ? "revoked" : "",
  ];
}

export function keysCommand(ctx: Context): Command {
  const keys = new Command("keys").description("API keys and device-lab agent tokens (admin)");
  keys
    .command("list")
    .description("keys, never their secrets")
    .action(async () => {
      const { items } = await ctx.client().call("listApiKeys", {});
      emit(ctx.out, { items }, () =>
        renderTable(["id", "name", "prefix", "scopes", "device class", "last used", ""], items.map(keyRow)),
      );
    });
  keys
    .command("create")
    .description("create a key; its token is printed once and cannot be read again")
    .requiredOption("--name <name>", "who or what uses it")
    .addOption(
      new Option("--scope <scope...>", "scopes (read < submit < admin; agent alone)").choices(SCOPES).default(["read"]),
    )
    .option("--device-class <class>", "the device class an agent token acts for")
    .action(async (options: { name: string; scope: Scope[]; deviceClass?: string }) => {
      const body: ApiBody<"createApiKey"> = {
        name: options.name,
        scopes: options.scope,
        ...(options.deviceClass !== undefined ? { deviceClass: options.deviceClass } : {}),
      };
      const created = await ctx.client().call("createApiKey", { body });
      emit(
        ctx.out,
        created,
        () => `key ${created.id} "${created.name}" (${created.scopes.join("+")})\ntoken (shown once): ${created.token}`,
      );
    });
  keys
    .command("revoke")
    .description("revoke a key (requests with it are refused from then on)")
    .argument("<id>", "key id")
    .action(async (id: string) => {
      await ctx.client().call("revokeApiKey", { params: { id } });
      emit(ctx.out, { id, revoked: true }, () => `key ${id} revoked`);
    });
  keys
    .command("whoami")
    .description("the key this CLI is using")
    .action(async () => {
      const me = await ctx.client().call("whoami", {});
      emit(ctx.out, me, () => `key ${me.id} "${me.name}" (${me.scopes.join("+")})`);
    });
  return keys;
}
