import {
  MfnasError,
  encodeGenome,
  esrganCost,
  genomeCost,
  validateGenomeStructure,
  type CostReport,
} from "@mfnas/core";
import { SearchQueryRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { anyJson, arrayOf, object, responses, sha256 } from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

/** Architectures by genome hash: the genome, its per-layer cost, and ESRGAN's cost at the same input. */

const costTotals = {
  params: { type: "integer" },
  macs: { type: "integer" },
  peakActivationBytes: { type: "integer" },
  memoryTrafficBytes: { type: "integer" },
};

const shape = arrayOf({ type: "integer" });
const layer = object(
  {
    name: { type: "string" },
    op: { type: "string" },
    inputShapes: arrayOf(shape),
    outputShape: shape,
    kernel: { type: "integer" },
    dilation: { type: "integer" },
    activation: { type: "string" },
    params: { type: "integer" },
    macs: { type: "integer" },
    outputBytes: { type: "integer" },
  },
  ["kernel", "dilation", "activation"],
);

const architecture = object({
  hash: sha256,
  genome: anyJson,
  encoded: { type: "string" },
  input: object({ height: { type: "integer" }, width: { type: "integer" } }),
  cost: object({ ...costTotals, layers: arrayOf(layer) }),
  esrgan: object({
    ...costTotals,
    description: { type: "string" },
  }),
});

function totals(report: CostReport) {
  return {
    params: report.params,
    macs: report.macs,
    peakActivationBytes: report.peakActivationBytes,
    memoryTrafficBytes: report.memoryTrafficBytes,
  };
}

export function registerArchitectureRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const searches = new SearchQueryRepository(deps.db);

  app.get(
    "/architectures/:hash",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getArchitecture",
        summary: "An architecture: its genome, per-layer cost and ESRGAN's cost at the same input",
        description:
          "Costs are the exact analytic figures of the cost model for an LR input of height x width (default: the " +
          "input the architecture's stored cost was computed for); ESRGAN is RRDBNet (23 blocks, 64 channels, " +
          "growth 32) at the same scale.",
        tags: ["results"],
        params: object({ hash: sha256 }),
        querystring: object(
          {
            height: { type: "integer", minimum: 4, maximum: 2048, multipleOf: 4 },
            width: { type: "integer", minimum: 4, maximum: 2048, multipleOf: 4 },
          },
          ["height", "width"],
        ),
        response: responses({ 200: architecture }),
      },
    },
    async (request) => {
      const { hash } = request.params as { hash: string };
      const q = request.query as { height?: number; width?: number };
      const [row] = await searches.architectures([hash]);
      if (!row) throw new MfnasError("not_found", `architecture ${hash} does not exist`, { hash });
      const genome = validateGenomeStructure(row.genome);
      const input = { height: q.height ?? row.referenceInputHeight, width: q.width ?? row.referenceInputWidth };
      const cost = genomeCost(genome, input.height, input.width);
      const esrgan = esrganCost(input.height, input.width, { scale: genome.scale });
      return {
        hash,
        genome,
        encoded: encodeGenome(genome),
        input,
        cost: {
          ...totals(cost),
          layers: cost.layers.map((l) => ({
            name: l.name,
            op: l.op,
            inputShapes: l.inputShapes.map((s) => [...s]),
            outputShape: [...l.outputShape],
            ...(l.kernel !== undefined ? { kernel: l.kernel } : {}),
            ...(l.dilation !== undefined ? { dilation: l.dilation } : {}),
            ...(l.activation !== undefined ? { activation: l.activation } : {}),
            params: l.params,
            macs: l.macs,
            outputBytes: l.outputBytes,
          })),
        },
        esrgan: { ...totals(esrgan), description: `RRDBNet x${genome.scale}, 23 blocks, 64 channels, growth 32` },
      };
    },
  );
}
