// Creates an API key (or a device-lab agent token) and prints its token once; only its hash is stored.
//   DATABASE_URL=postgresql://... npx tsx scripts/create-api-key.ts --name ops --scopes admin
//   DATABASE_URL=... npx tsx scripts/create-api-key.ts --name lab-1 --scopes agent --device-class pixel-7
// The bootstrap path for the first admin key (the API's API_BOOTSTRAP_ADMIN_KEY is the other).
import { parseArgs } from "node:util";
import { ApiKeyRepository, createDb, type ApiScopeValue } from "@mfnas/store";

const SCOPES: readonly ApiScopeValue[] = ["read", "submit", "admin", "agent"];
const { values } = parseArgs({
  options: {
    name: { type: "string" },
    scopes: { type: "string", default: "read" },
    "device-class": { type: "string" },
  },
});
const url = process.env["DATABASE_URL"];
if (!url) {
  console.error("DATABASE_URL: missing");
  process.exit(78);
}
const scopes = (values.scopes ?? "").split(",").map((s) => s.trim());
const unknown = scopes.filter((s) => !SCOPES.includes(s as ApiScopeValue));
if (!values.name || unknown.length > 0 || scopes.length === 0) {
  console.error(
    `usage: --name NAME --scopes ${SCOPES.join("|")}[,...] [--device-class CLASS]; bad: ${unknown.join(", ")}`,
  );
  process.exit(64);
}
const agent = scopes.includes("agent");
if (agent !== (values["device-class"] !== undefined) || (agent && scopes.length > 1)) {
  console.error("an agent token has the agent scope alone and a --device-class; other keys have none");
  process.exit(64);
}
const db = createDb(url);
try {
  const key = await new ApiKeyRepository(db).issue({
    name: values.name,
    scopes: scopes as ApiScopeValue[],
    deviceClass: values["device-class"] ?? null,
  });
  console.log(JSON.stringify({ id: key.id, prefix: key.prefix, scopes: key.scopes, token: key.token }));
} finally {
  await db.$disconnect();
}
