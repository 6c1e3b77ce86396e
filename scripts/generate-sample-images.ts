/**
 * Writes the bundled SR sample set, packages/model/assets/sr-sample/{train,val}/*.png: small procedural RGB images
 * with real high-frequency content (gratings near Nyquist, checkerboards, zone plates, antialiased polygons and edges,
 * fractal noise), so that smoke-training and tests can learn and measure something without any download.
 *
 * Deterministic: every random choice comes from @mfnas/core's seeded generator, and hard edges are antialiased by
 * 4x4 supersampling. Rerunning rewrites identical files. Usage: npx tsx scripts/generate-sample-images.ts
 */
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { createRng } from "@mfnas/core";
import type { Rng } from "@mfnas/core";

type Rgb = [number, number, number];
/** A picture as a function of continuous pixel coordinates (y, x); pixel (0, 0) covers [0, 1) x [0, 1). */
type Picture = (y: number, x: number) => Rgb;

const SIZE = 128;
const SUPERSAMPLE = 4;
const OUT = fileURLToPath(new URL("../packages/model/assets/sr-sample/", import.meta.url));

function colour(rng: Rng): Rgb {
  return [rng.nextFloat(), rng.nextFloat(), rng.nextFloat()];
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** Two to three oriented sinusoidal gratings, up to 0.4 cycles per pixel (Nyquist is 0.5), each in its own colour. */
function gratings(rng: Rng): Picture {
  const waves = Array.from({ length: rng.int(2, 3) }, () => ({
    f: 0.04 + 0.36 * rng.nextFloat(),
    theta: Math.PI * rng.nextFloat(),
    phase: 2 * Math.PI * rng.nextFloat(),
    tint: colour(rng),
  }));
  const base = mix(colour(rng), [0.5, 0.5, 0.5], 0.5);
  return (y, x) => {
    const out: Rgb = [...base];
    for (const w of waves) {
      const s = Math.sin(2 * Math.PI * w.f * (x * Math.cos(w.theta) + y * Math.sin(w.theta)) + w.phase);
      for (let c = 0; c < 3; c++) out[c]! += (0.8 / waves.length) * s * (w.tint[c]! - 0.2);
    }
    return out;
  };
}

/** A rotated checkerboard with a period of 4 to 16 pixels. */
function checkerboard(rng: Rng): Picture {
  const period = 4 + 12 * rng.nextFloat();
  const theta = (Math.PI / 2) * rng.nextFloat();
  const [a, b] = [colour(rng), colour(rng)];
  return (y, x) => {
    const u = (x * Math.cos(theta) + y * Math.sin(theta)) / period;
    const v = (-x * Math.sin(theta) + y * Math.cos(theta)) / period;
    return (Math.floor(u) + Math.floor(v)) % 2 === 0 ? a : b;
  };
}

/** A zone plate (chirp) whose local frequency rises from the centre up to about 0.45 cycles per pixel. */
function zonePlate(rng: Rng): Picture {
  const cy = SIZE * (0.3 + 0.4 * rng.nextFloat());
  const cx = SIZE * (0.3 + 0.4 * rng.nextFloat());
  const farthest = Math.hypot(Math.max(cy, SIZE - cy), Math.max(cx, SIZE - cx));
  const k = 0.45 / (2 * farthest); // phase pi * 2k r^2 has local frequency 2 k r cycles per pixel
  const [a, b] = [colour(rng), colour(rng)];
  return (y, x) => mix(a, b, 0.5 + 0.5 * Math.cos(2 * Math.PI * k * ((y - cy) ** 2 + (x - cx) ** 2)));
}

/** Concentric rings of constant period: a radial square wave, sharp edges in every orientation. */
function rings(rng: Rng): Picture {
  const period = 3 + 9 * rng.nextFloat();
  const [cy, cx] = [SIZE * rng.nextFloat(), SIZE * rng.nextFloat()];
  const [a, b] = [colour(rng), colour(rng)];
  return (y, x) => (Math.floor(Math.hypot(y - cy, x - cx) / period) % 2 === 0 ? a : b);
}

/** A smooth two-colour gradient cut by a few straight step edges and discs. */
function gradientEdges(rng: Rng): Picture {
  const [a, b] = [colour(rng), colour(rng)];
  const theta = 2 * Math.PI * rng.nextFloat();
  const cuts = Array.from({ length: rng.int(2, 4) }, () => ({
    theta: 2 * Math.PI * rng.nextFloat(),
    offset: SIZE * (0.2 + 0.6 * rng.nextFloat()),
    shift: (rng.nextFloat() - 0.5) * 0.6,
  }));
  const discs = Array.from({ length: rng.int(1, 3) }, () => ({
    cy: SIZE * rng.nextFloat(),
    cx: SIZE * rng.nextFloat(),
    r: 6 + 24 * rng.nextFloat(),
    tint: colour(rng),
  }));
  return (y, x) => {
    let t = ((x - SIZE / 2) * Math.cos(theta) + (y - SIZE / 2) * Math.sin(theta)) / SIZE + 0.5;
    for (const cut of cuts) {
      if ((x - SIZE / 2) * Math.cos(cut.theta) + (y - SIZE / 2) * Math.sin(cut.theta) > cut.offset - SIZE / 2)
        t += cut.shift;
    }
    let out = mix(a, b, Math.min(1, Math.max(0, t)));
    for (const d of discs) if (Math.hypot(y - d.cy, x - d.cx) < d.r) out = mix(out, d.tint, 0.8);
    return out;
  };
}

function insidePolygon(points: readonly [number, number][], y: number, x: number): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [yi, xi] = points[i]!;
    const [yj, xj] = points[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A random star-shaped polygon (3 to 8 corners) as [y, x] points, up to `maxRadius` pixels across its centre. */
function randomPolygon(rng: Rng, maxRadius: number): [number, number][] {
  const [cy, cx] = [SIZE * rng.nextFloat(), SIZE * rng.nextFloat()];
  const radius = maxRadius * (0.2 + 0.8 * rng.nextFloat());
  const angles = Array.from({ length: rng.int(3, 8) }, () => 2 * Math.PI * rng.nextFloat()).sort((p, q) => p - q);
  return angles.map((t): [number, number] => {
    const r = radius * (0.4 + 0.6 * rng.nextFloat());
    return [cy + r * Math.sin(t), cx + r * Math.cos(t)];
  });
}

/** Random polygons in flat colours over a gradient; the later ones occlude the earlier ones. */
function polygons(rng: Rng): Picture {
  const background = gradientEdges(rng);
  const shapes = Array.from({ length: rng.int(4, 9) }, () => ({ points: randomPolygon(rng, 38), tint: colour(rng) }));
  return (y, x) => {
    for (let i = shapes.length - 1; i >= 0; i--) {
      if (insidePolygon(shapes[i]!.points, y, x)) return shapes[i]!.tint;
    }
    return background(y, x);
  };
}

/** Fractal (fBm) value noise: octaves of smoothly interpolated lattice noise, one field per channel. */
function fractalNoise(rng: Rng): Picture {
  const octaves = rng.int(4, 6);
  const base = 4 + rng.int(0, 4);
  const persistence = 0.5 + 0.2 * rng.nextFloat();
  const lattices = Array.from({ length: 3 * octaves }, (_, i) => {
    const cells = base * 2 ** Math.floor(i / 3);
    return { cells, values: Float64Array.from({ length: cells * cells }, () => rng.nextFloat()) };
  });
  const sample = (lattice: { cells: number; values: Float64Array }, y: number, x: number): number => {
    const { cells, values } = lattice;
    const fy = (y / SIZE) * cells;
    const fx = (x / SIZE) * cells;
    const [y0, x0] = [Math.floor(fy), Math.floor(fx)];
    const smooth = (t: number) => t * t * (3 - 2 * t);
    const [ty, tx] = [smooth(fy - y0), smooth(fx - x0)];
    const at = (yy: number, xx: number) =>
      values[(((yy % cells) + cells) % cells) * cells + (((xx % cells) + cells) % cells)]!;
    const top = at(y0, x0) + (at(y0, x0 + 1) - at(y0, x0)) * tx;
    const bottom = at(y0 + 1, x0) + (at(y0 + 1, x0 + 1) - at(y0 + 1, x0)) * tx;
    return top + (bottom - top) * ty;
  };
  return (y, x) => {
    const out: Rgb = [0, 0, 0];
    for (let c = 0; c < 3; c++) {
      let amplitude = 1;
      let total = 0;
      for (let o = 0; o < octaves; o++) {
        out[c]! += amplitude * sample(lattices[o * 3 + c]!, y, x);
        total += amplitude;
        amplitude *= persistence;
      }
      out[c] = out[c]! / total;
    }
    // Stretch the contrast: averaged octaves cluster around 0.5.
    return [0.5 + 1.8 * (out[0] - 0.5), 0.5 + 1.8 * (out[1] - 0.5), 0.5 + 1.8 * (out[2] - 0.5)];
  };
}

/** Large polygons filled with gratings over fractal noise: textured regions with sharp boundaries, as in photos. */
function texturedRegions(rng: Rng): Picture {
  const background = fractalNoise(rng);
  const shapes = Array.from({ length: rng.int(3, 5) }, () => ({ points: randomPolygon(rng, 70), fill: gratings(rng) }));
  return (y, x) => {
    for (let i = shapes.length - 1; i >= 0; i--) {
      if (insidePolygon(shapes[i]!.points, y, x)) return shapes[i]!.fill(y, x);
    }
    return background(y, x);
  };
}

/** Renders with SIZE x SIZE pixels, each the mean of SUPERSAMPLE^2 point samples, to 8-bit RGB. */
function render(picture: Picture): Uint8Array {
  const out = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const acc = [0, 0, 0];
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const rgb = picture(y + (sy + 0.5) / SUPERSAMPLE, x + (sx + 0.5) / SUPERSAMPLE);
          for (let c = 0; c < 3; c++) acc[c]! += Math.min(1, Math.max(0, rgb[c]!));
        }
      }
      for (let c = 0; c < 3; c++) out[(y * SIZE + x) * 3 + c] = Math.round((acc[c]! / SUPERSAMPLE ** 2) * 255);
    }
  }
  return out;
}

const KINDS = { gratings, checkerboard, zonePlate, rings, gradientEdges, polygons, fractalNoise, texturedRegions };
type Kind = keyof typeof KINDS;

// Every kind twice in training; six kinds once, from other seeds, for validation.
const TRAIN: Kind[] = Object.keys(KINDS).flatMap((k) => [k as Kind, k as Kind]);
const VAL: Kind[] = ["gratings", "zonePlate", "gradientEdges", "polygons", "fractalNoise", "texturedRegions"];

async function writeSet(split: "train" | "val", kinds: readonly Kind[], seed: number): Promise<number> {
  const dir = `${OUT}${split}`;
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) if (name.endsWith(".png")) await rm(`${dir}/${name}`);
  const rng = createRng(seed);
  let bytes = 0;
  for (const [i, kind] of kinds.entries()) {
    const file = `${dir}/${String(i).padStart(2, "0")}-${kind}.png`;
    const pixels = render(KINDS[kind](createRng(rng.nextUint32())));
    await sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 3 } })
      .png({ compressionLevel: 9, adaptiveFiltering: true, palette: false })
      .toFile(file);
    bytes += (await stat(file)).size;
  }
  return bytes;
}

const trainBytes = await writeSet("train", TRAIN, 2021);
const valBytes = await writeSet("val", VAL, 1202);
console.log(
  `wrote ${TRAIN.length} train (${trainBytes} B) + ${VAL.length} val (${valBytes} B) ${SIZE}x${SIZE} PNGs to ${OUT}`,
);
