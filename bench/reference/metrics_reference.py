#!/usr/bin/env python3
"""Reference values for the TypeScript SR data pipeline and metrics (packages/model/src/data, src/metrics).

Writes JSON fixtures that the vitest suites compare against:
  packages/model/src/data/__fixtures__/imresize.json    MATLAB-style bicubic imresize, plus PIL BICUBIC outputs
  packages/model/src/metrics/__fixtures__/metrics.json  PSNR / SSIM on the BT.601 Y channel, RGB PSNR

Everything here is an independent reimplementation in numpy, written from MATLAB's documented imresize algorithm
(imresize.m: `contributions`, cubic kernel, symmetric padding, dimension order by scale) and from BasicSR's
calculate_psnr / calculate_ssim; the metric values themselves come from scikit-image.

Inputs are deterministic (numpy's PCG64 with fixed seeds) and stored in the fixtures as integers over a denominator,
so both sides start from identical numbers. The TypeScript images hold float32 samples, so the references are
computed from the float32-rounded inputs too (the float64 variants are printed for information).

Run with Debian's python3 (numpy, scipy, scikit-image, PIL); it needs no network:
  /usr/bin/python3 bench/reference/metrics_reference.py
  npx prettier --write packages/model/src/data/__fixtures__/imresize.json packages/model/src/metrics/__fixtures__/metrics.json
Rerunning reproduces the committed fixtures byte for byte. It prints the figures the TypeScript tests rely on: PIL's
residual on interior pixels, skimage vs BasicSR-style SSIM, and the effect of float32 inputs.
"""

import json
import math
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

ROOT = Path(__file__).resolve().parents[2]
DATA_FIXTURES = ROOT / "packages/model/src/data/__fixtures__"
METRIC_FIXTURES = ROOT / "packages/model/src/metrics/__fixtures__"


# ---------------------------------------------------------------- MATLAB imresize (bicubic) ----------------------


def cubic(x):
    """MATLAB's cubic kernel: Keys (1981) with a = -0.5."""
    ax = np.abs(x)
    ax2 = ax * ax
    ax3 = ax2 * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))


def contributions(in_length, out_length, scale, antialiasing):
    """MATLAB's contributions(): weights and 0-based input indices, one row per output pixel (1-based maths)."""
    kernel_width = 4.0
    if scale < 1 and antialiasing:
        kernel = lambda x: scale * cubic(scale * x)  # noqa: E731
        kernel_width = kernel_width / scale
    else:
        kernel = cubic
    x = np.arange(1, out_length + 1, dtype=np.float64)[:, None]
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    taps = int(math.ceil(kernel_width)) + 2
    raw_indices = (left + np.arange(taps)[None, :]).astype(np.int64)
    weights = kernel(u - raw_indices)
    weights = weights / weights.sum(axis=1, keepdims=True)
    aux = np.concatenate([np.arange(1, in_length + 1), np.arange(in_length, 0, -1)])
    indices = aux[np.mod(raw_indices - 1, aux.size)] - 1
    keep = np.any(weights != 0, axis=0)  # MATLAB drops all-zero columns
    return weights[:, keep], indices[:, keep], raw_indices[:, keep] - 1


def matlab_round_uint8(values):
    """What MATLAB's uint8 conversion does: saturate to 0..255, round half away from zero."""
    return np.floor(np.clip(values, 0, 255) + 0.5)


def imresize(img, scale=None, output_size=None, antialiasing=True, uint8=False):
    """imresize(img, scale) or imresize(img, [h w]) on an HxWxC float64 array, 'bicubic'."""
    in_size = img.shape[:2]
    if scale is not None:
        scales = [scale, scale]
        out_size = [math.ceil(scale * in_size[0]), math.ceil(scale * in_size[1])]
    else:
        out_size = list(output_size)
        scales = [out_size[0] / in_size[0], out_size[1] / in_size[1]]
    out = matlab_round_uint8(img * 255) if uint8 else img.astype(np.float64)
    for dim in np.argsort(scales, kind="stable"):
        weights, indices, _ = contributions(out.shape[dim], out_size[dim], scales[dim], antialiasing)
        if dim == 0:
            out = np.einsum("op,opwc->owc", weights, out[indices])
        else:
            out = np.einsum("op,hopc->hoc", weights, out[:, indices])
        if uint8:
            out = matlab_round_uint8(out)
    return out / 255 if uint8 else out


def interior_range(in_length, out_length, scale):
    """Output pixels whose non-zero taps all lie inside the image, so neither padding nor PIL's clipping applies."""
    weights, _, raw = contributions(in_length, out_length, scale, True)
    inside = []
    for o in range(out_length):
        taps = raw[o][weights[o] != 0]
        inside.append(bool(np.all((taps >= 0) & (taps < in_length))))
    first = inside.index(True)
    last = len(inside) - inside[::-1].index(True)
    assert all(inside[first:last])
    return [first, last]


# ---------------------------------------------------------------- metrics -----------------------------------------


def rgb_to_y(rgb, round_y=False):
    """ITU-R BT.601 luma on [0,255] from RGB in [0,1] (MATLAB rgb2ycbcr, BasicSR's bgr2ycbcr(y_only=True) * 255)."""
    y = 16.0 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]
    return np.floor(y + 0.5) if round_y else y


def crop(img, border):
    return img[border : img.shape[0] - border, border : img.shape[1] - border] if border > 0 else img


def gaussian_window():
    """cv2.getGaussianKernel(11, 1.5) outer itself, as BasicSR's _ssim builds it."""
    g = np.exp(-((np.arange(11) - 5.0) ** 2) / (2 * 1.5**2))
    g /= g.sum()
    return np.outer(g, g)


def ssim_basicsr(y1, y2):
    """BasicSR's _ssim: 'valid' 11x11 Gaussian filtering, C1=(0.01*255)^2, C2=(0.03*255)^2, mean of the map."""
    window = gaussian_window()

    def filt(img):
        return np.einsum("ijkl,kl->ij", sliding_window_view(img, (11, 11)), window)

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu1, mu2 = filt(y1), filt(y2)
    s11 = filt(y1 * y1) - mu1**2
    s22 = filt(y2 * y2) - mu2**2
    s12 = filt(y1 * y2) - mu1 * mu2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s11 + s22 + c2))
    return float(ssim_map.mean())


def skimage_metrics(a, b, border, round_y):
    """Y-PSNR and Y-SSIM with scikit-image, and RGB PSNR; a and b are float64 RGB in [0,1]."""
    ya, yb = crop(rgb_to_y(a, round_y), border), crop(rgb_to_y(b, round_y), border)
    # skimage filters the whole image with 'reflect' padding and then crops (win_size-1)/2 from each side, which
    # leaves exactly the pixels whose 11x11 window lies inside: the same set as BasicSR's 'valid' filtering.
    ssim = structural_similarity(
        ya, yb, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255
    )
    return {
        "psnrY": float(peak_signal_noise_ratio(ya, yb, data_range=255)),
        "ssimY": float(ssim),
        "ssimYBasicsr": ssim_basicsr(ya, yb),
        "psnrRgb": float(peak_signal_noise_ratio(crop(a, border) * 255, crop(b, border) * 255, data_range=255)),
    }


# ---------------------------------------------------------------- deterministic inputs ------------------------------


def textured(rng, height, width, noise):
    """Smooth colour gradients + a grating + noise, as integers 0..255: closer to photos than pure noise."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    base = np.stack(
        [
            128 + 80 * np.sin(xx / 5.0 + yy / 9.0),
            128 + 70 * np.cos(yy / 4.0) * np.sin(xx / 7.0),
            100 + 1.5 * xx + 1.2 * yy,
        ],
        axis=-1,
    )
    return np.clip(np.round(base + rng.normal(0, noise, base.shape)), 0, 255).astype(np.int64)


def as_float32(ints, denominator):
    """The float32 value TypeScript holds for ints / denominator, widened back to float64."""
    return (ints.astype(np.float64) / denominator).astype(np.float32).astype(np.float64)


def image_json(ints, denominator):
    h, w, _ = ints.shape
    return {"height": h, "width": w, "denominator": denominator, "values": ints.reshape(-1).tolist()}


def floats(values):
    return [round(float(v), 10) for v in np.asarray(values).reshape(-1)]


def imresize_fixture():
    rng = np.random.default_rng(20210601)
    cases = []
    specs = [
        ("down x2, random", (12, 10), dict(scale=0.5), 255),
        ("down x4, random", (16, 20), dict(scale=0.25), 255),
        ("down x4, odd size (ceil output)", (17, 13), dict(scale=0.25), 255),
        ("down x3 (scale 1/3)", (18, 15), dict(scale=1 / 3), 255),
        ("up x2", (7, 9), dict(scale=2), 255),
        ("up x3", (5, 6), dict(scale=3), 255),
        ("outputSize, rows up and columns down (columns first)", (10, 13), dict(output_size=(14, 5)), 1024),
        ("outputSize, rows down more than columns", (21, 11), dict(output_size=(6, 8)), 1024),
        ("down x4 without antialiasing", (16, 16), dict(scale=0.25, antialiasing=False), 255),
        ("uint8 down x4", (20, 24), dict(scale=0.25, uint8=True), 255),
        ("uint8 up x2", (6, 7), dict(scale=2, uint8=True), 255),
        ("uint8 down x2", (14, 10), dict(scale=0.5, uint8=True), 255),
        # With per-pass rounding the dimension order matters, so this pins MATLAB's order (smaller scale first).
        ("uint8 outputSize, rows up and columns down", (9, 12), dict(output_size=(13, 5), uint8=True), 255),
    ]
    for name, (h, w), kwargs, denominator in specs:
        ints = rng.integers(0, denominator + 1, size=(h, w, 3))
        out = imresize(as_float32(ints, denominator), **kwargs)
        options = {
            "scale": kwargs.get("scale"),
            "outputSize": list(kwargs["output_size"]) if "output_size" in kwargs else None,
            "antialiasing": kwargs.get("antialiasing", True),
            "rounding": "uint8" if kwargs.get("uint8") else "none",
        }
        cases.append(
            {
                "name": name,
                "input": image_json(ints, denominator),
                "options": {k: v for k, v in options.items() if v is not None},
                "expected": {"height": out.shape[0], "width": out.shape[1], "data": floats(out)},
            }
        )
    return cases


def pil_fixture():
    """PIL BICUBIC (a = -0.5, antialiased 'support * scale') on a 32x48 image, float ('F') and 8-bit ('RGB')."""
    rng = np.random.default_rng(7)
    ints = textured(rng, 32, 48, 6.0)
    img = as_float32(ints, 255)
    cases = []
    for factor in (2, 4):
        oh, ow = 32 // factor, 48 // factor
        pil_float = np.stack(
            [
                np.asarray(
                    Image.fromarray(img[..., c].astype(np.float32), mode="F").resize(
                        (ow, oh), Image.Resampling.BICUBIC
                    )
                )
                for c in range(3)
            ],
            axis=-1,
        ).astype(np.float64)
        pil_uint8 = np.asarray(
            Image.fromarray(ints.astype(np.uint8), mode="RGB").resize((ow, oh), Image.Resampling.BICUBIC)
        ).astype(np.float64)
        ours = imresize(img, scale=1 / factor)
        rows, cols = interior_range(32, oh, 1 / factor), interior_range(48, ow, 1 / factor)
        inner = (slice(*rows), slice(*cols))
        print(
            f"  PIL x{factor}: interior rows {rows} cols {cols}; |ours - PIL F| max "
            f"{np.abs(ours - pil_float)[inner].max():.2e}; |round(ours*255) - PIL RGB| max "
            f"{np.abs(matlab_round_uint8(ours * 255) - pil_uint8)[inner].max():.0f} levels; "
            f"whole image |ours - PIL F| max {np.abs(ours - pil_float).max():.3f}"
        )
        cases.append(
            {
                "factor": factor,
                "interiorRows": rows,
                "interiorCols": cols,
                "pilFloat": floats(pil_float),
                "pilUint8": np.asarray(pil_uint8, dtype=np.int64).reshape(-1).tolist(),
            }
        )
    return {"input": image_json(ints, 255), "cases": cases}


def metrics_fixture():
    rng = np.random.default_rng(2004)
    cases = []

    def add(name, a_ints, b_ints, denominator, checks):
        a, b = as_float32(a_ints, denominator), as_float32(b_ints, denominator)
        out = []
        for border, round_y in checks:
            ref = skimage_metrics(a, b, border, round_y)
            wide = skimage_metrics(a_ints / denominator, b_ints / denominator, border, round_y)
            print(
                f"  {name}, crop {border}{', rounded Y' if round_y else ''}: psnrY {ref['psnrY']:.6f} "
                f"ssimY {ref['ssimY']:.8f} |skimage - basicsr| {abs(ref['ssimY'] - ref['ssimYBasicsr']):.1e}; "
                f"float32 vs float64 inputs: dPSNR {abs(ref['psnrY'] - wide['psnrY']):.1e} "
                f"dSSIM {abs(ref['ssimY'] - wide['ssimY']):.1e}"
            )
            out.append({"cropBorder": border, "roundY": round_y, "expected": ref})
        cases.append(
            {"name": name, "a": image_json(a_ints, denominator), "b": image_json(b_ints, denominator), "checks": out}
        )

    def noisy(ints, sigma):
        return np.clip(np.round(ints + rng.normal(0, sigma, ints.shape)), 0, 255).astype(np.int64)

    hr = textured(rng, 32, 32, 10.0)
    add("noise sigma 5", hr, noisy(hr, 5.0), 255, [(0, False), (4, False)])
    hr = textured(rng, 30, 34, 4.0)
    add("heavy noise sigma 25", hr, noisy(hr, 25.0), 255, [(2, False)])
    hr = textured(rng, 40, 40, 12.0)
    # A realistic SR pair: x4 bicubic down and up again, saved as 8 bits.
    restored = matlab_round_uint8(imresize(imresize(hr / 255, scale=0.25), scale=4) * 255).astype(np.int64)
    add("bicubic x4 down-up", hr, restored, 255, [(4, False), (4, True)])
    hr = rng.integers(0, 1025, size=(24, 28, 3))
    add("float images (k/1024)", hr, np.clip(hr + rng.integers(-40, 41, hr.shape), 0, 1024), 1024, [(0, False)])
    return cases


def write(path, payload):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, separators=(",", ":")) + "\n")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


def main():
    print("imresize / PIL:")
    write(
        DATA_FIXTURES / "imresize.json",
        {"generator": "bench/reference/metrics_reference.py", "cases": imresize_fixture(), "pil": pil_fixture()},
    )
    print("metrics (reference: skimage; ssimYBasicsr: BasicSR-style numpy):")
    write(
        METRIC_FIXTURES / "metrics.json",
        {"generator": "bench/reference/metrics_reference.py", "cases": metrics_fixture()},
    )


if __name__ == "__main__":
    main()
