/**
 * The same exact cost accounting (cost-graph.ts) for the ESRGAN generator, BasicSR's RRDBNet, as the reference that
 * MFA SubGenerators are compared against. nf = channels, gc = growth:
 *
 *   x (3ch) -> conv_first 3->nf -> feat ---------------------------------------.
 *     body: num_block x RRDB, each:  y = x + 0.2 * RDB3(RDB2(RDB1(x)))         |
 *       RDB(x): x1 = lrelu(conv1(x))                      nf      -> gc        |
 *               x2 = lrelu(conv2(cat(x, x1)))             nf+gc   -> gc        |
 *               x3 = lrelu(conv3(cat(x, x1, x2)))         nf+2gc  -> gc        |
 *               x4 = lrelu(conv4(cat(x, x1, x2, x3)))     nf+3gc  -> gc        |
 *               x5 = conv5(cat(x, x1, x2, x3, x4))        nf+4gc  -> nf        |
 *               out = x + 0.2 * x5                                             |
 *     conv_body nf->nf, + feat  <----------------------------------------------'
 *   2 x (nearest x2 -> conv_up nf->nf + lrelu) -> conv_hr nf->nf + lrelu -> conv_last nf->3
 *
 * All convs 3x3, bias, 'same'. For scale 2 BasicSR first applies pixel-unshuffle 2 (so conv_first is 12->nf and the
 * body runs at H/2 x W/2); that is modelled too. Defaults (23 blocks, 64, 32, x4) are RRDB_ESRGAN_x4: 16,697,987 params.
 */
import { CostGraph, type CostReport, type TensorId } from "./cost-graph.ts";
import { expectInteger, invalidAt } from "./invalid.ts";
import { MAX_INPUT_SIDE } from "./cost-model.ts";

export interface EsrganOptions {
  /** Number of RRDB blocks (num_block). */
  blocks?: number;
  /** Feature channels (num_feat). */
  channels?: number;
  /** Dense growth channels (num_grow_ch). */
  growth?: number;
  scale?: 2 | 4;
}

function residualDenseBlock(graph: CostGraph, name: string, x: TensorId, nf: number, gc: number): TensorId {
  const features: TensorId[] = [x];
  for (let k = 1; k <= 4; k++) {
    const input = graph.concat(`${name}.cat${k}`, [...features]);
    features.push(graph.conv(`${name}.conv${k}`, input, gc, 3, { lrelu: true }));
  }
  const x5 = graph.conv(`${name}.conv5`, graph.concat(`${name}.cat5`, features), nf, 3);
  return graph.residualAdd(`${name}.residual`, x, x5);
}

/** Exact params, MACs, peak activation and traffic of RRDBNet for an H x W LR input. */
export function esrganCost(height: number, width: number, options: EsrganOptions = {}): CostReport {
  const blocks = expectInteger(options.blocks ?? 23, "blocks", 1, 256, "esrgan");
  const nf = expectInteger(options.channels ?? 64, "channels", 1, 4096, "esrgan");
  const gc = expectInteger(options.growth ?? 32, "growth", 1, 4096, "esrgan");
  const scale = options.scale ?? 4;
  if (scale !== 2 && scale !== 4) {
    throw invalidAt("scale", `must be 2 or 4, got ${String(scale)}`, { value: scale }, "esrgan");
  }
  expectInteger(height, "height", 1, MAX_INPUT_SIDE, "esrgan");
  expectInteger(width, "width", 1, MAX_INPUT_SIDE, "esrgan");
  if (scale === 2 && (height % 2 !== 0 || width % 2 !== 0)) {
    throw invalidAt("", `scale 2 pixel-unshuffles the input, so ${height}x${width} must have even sides`, {}, "esrgan");
  }

  const graph = new CostGraph([3, height, width]);
  const input = scale === 2 ? graph.spaceToDepth("pixel_unshuffle", graph.input, 2) : graph.input;
  const feat = graph.conv("conv_first", input, nf, 3);
  let body = feat;
  for (let b = 0; b < blocks; b++) {
    const name = `body[${b}]`;
    let y = body;
    for (let r = 1; r <= 3; r++) y = residualDenseBlock(graph, `${name}.rdb${r}`, y, nf, gc);
    body = graph.residualAdd(`${name}.residual`, body, y);
  }
  let y = graph.residualAdd("body_residual", feat, graph.conv("conv_body", body, nf, 3));
  for (let u = 1; u <= 2; u++) {
    const up = graph.upsampleNearest(`up${u}`, y, 2);
    y = graph.conv(`conv_up${u}`, up, nf, 3, { lrelu: true });
  }
  const hr = graph.conv("conv_hr", y, nf, 3, { lrelu: true });
  return graph.report(graph.conv("conv_last", hr, 3, 3));
}
