"""PyTorch rebuild of the supernet trainer's full step (services/trainer TrainingState.step) for
bench/trainer-step.ts: the same supernet (weights sliced per SubGenerator), feature adapters, teacher and student
PatchGANs, cached teacher targets, losses and Adam, with every weight loaded from the tfjs run. It checks the first
two steps' losses and the SubGenerators' outputs against the tfjs figures, then times the step with each thread
count asked for. Reads the job JSON path on argv[1] and a safetensors file beside it; prints JSON.
"""
import json
import struct
import sys
import time

import torch
import torch.nn.functional as F

SLOPE = 0.2
RESIDUAL_SCALE = 0.2


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(data[base + start : base + end]), dtype=torch.float32)
        out[name] = flat.reshape(info["shape"]).clone()
    return out


def nchw(t):
    return t.permute(0, 3, 1, 2).contiguous()


def oihw(t):
    return t.permute(3, 2, 0, 1).contiguous()


def lrelu(x):
    return F.leaky_relu(x, SLOPE)


def l1(a, b):
    return (a - b).abs().mean()


def mse(a, b):
    return ((a - b) ** 2).mean()


def bce_logits(x, target):
    return F.softplus(-x if target == 1 else x).mean()


def relativistic_d(real, fake):
    return 0.5 * (bce_logits(real - fake.mean(), 1) + bce_logits(fake - real.mean(), 0))


def relativistic_g(real, fake):
    return 0.5 * (bce_logits(real - fake.mean(), 0) + bce_logits(fake - real.mean(), 1))


def symmetric_indices(n, pad):
    out = []
    for i in range(-pad, n + pad):
        j = -i - 1 if i < 0 else (2 * n - i - 1 if i >= n else i)
        out.append(j)
    return torch.tensor(out)


class Supernet:
    """The supernet's full-width weights (leaf tensors, OIHW), sliced per SubGenerator as the tfjs supernet does."""

    def __init__(self, tensors):
        self.params = {}
        for name, t in tensors.items():
            self.params[name] = (oihw(t) if t.dim() == 4 else t.clone()).requires_grad_(True)

    def conv(self, x, layer, dilation=1):
        w = self.params[layer["name"] + ".weight"]
        cin, cout, k = layer["cin"], layer["cout"], layer["kernel"]
        if "rows" in layer:
            w = torch.cat([w[:cout, off : off + width] for off, width in layer["rows"]], 1)
        else:
            w = w[:cout, :cin]
        b = self.params[layer["name"] + ".bias"][:cout]
        return F.conv2d(x, w, b, padding=dilation * (k // 2), dilation=dilation)

    def forward(self, g, lr, skip_kernel):
        layers = g["layers"]
        f0 = self.conv(lr, layers["conv_first"])
        x = f0
        blocks = []
        for i, block in enumerate(g["blocks"]):
            outs = []
            for kind in block["branches"]:
                down = {"conv3": 1, "dil2": 1, "down2": 2, "down4": 4}[kind]
                y = F.avg_pool2d(x, down) if down > 1 else x
                y = lrelu(self.conv(y, layers[f"body.{i}.{kind}"], 2 if kind == "dil2" else 1))
                outs.append(F.interpolate(y, scale_factor=down, mode="nearest") if down > 1 else y)
            fused = self.conv(torch.cat(outs, 1) if len(outs) > 1 else outs[0], layers[f"body.{i}.fuse"])
            x = x + fused * RESIDUAL_SCALE
            blocks.append(x)
        y = f0 + self.conv(x, layers["conv_body"])
        for name in g["upsamplers"]:
            if g["upsampler"] == "nearest-conv":
                y = lrelu(self.conv(F.interpolate(y, scale_factor=2, mode="nearest"), layers[name]))
            else:
                y = lrelu(F.pixel_shuffle(self.conv(y, layers[name]), 2))
        residual = self.conv(lrelu(self.conv(y, layers["conv_hr"])), layers["conv_last"])
        h, w = lr.shape[2], lr.shape[3]
        pad = (skip_kernel.shape[2] - 1) // 2
        padded = lr[:, :, symmetric_indices(h, pad)][:, :, :, symmetric_indices(w, pad)]
        base = F.pixel_shuffle(F.conv2d(padded, skip_kernel), g["scale"])
        return base + residual, blocks


class PatchGan:
    def __init__(self, tensors, prefix, layers):
        self.layers = layers
        self.params = {}
        for name, t in tensors.items():
            if name.startswith(prefix):
                key = name[len(prefix) :]
                self.params[key] = (oihw(t) if t.dim() == 4 else t.clone()).requires_grad_(True)
        self.count = sum(1 for k in self.params if k.startswith("conv") and k.endswith(".weight")) - 1

    def forward(self, x):
        features = []
        for n in range(self.count):
            stride = 2 if n < self.layers else 1
            x = lrelu(F.conv2d(x, self.params[f"conv{n}.weight"], self.params[f"conv{n}.bias"], stride, 1))
            features.append(x)
        logits = F.conv2d(x, self.params["conv_logits.weight"], self.params["conv_logits.bias"], 1, 1)
        return logits, features

    def requires_grad(self, flag):
        for p in self.params.values():
            p.requires_grad_(flag)


class Adam:
    """Adam as services/trainer/src/adam.ts: every variable steps every time (a zero gradient where none)."""

    def __init__(self, params, betas, eps):
        self.params = params
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.m = {k: torch.zeros_like(p) for k, p in params.items()}
        self.v = {k: torch.zeros_like(p) for k, p in params.items()}
        self.iteration = 0

    @torch.no_grad()
    def step(self, count, lr):
        self.iteration += 1
        c1 = 1 - self.beta1**self.iteration
        c2 = 1 - self.beta2**self.iteration
        for k, p in self.params.items():
            g = p.grad / count if p.grad is not None else torch.zeros_like(p)
            self.m[k].mul_(self.beta1).add_(g, alpha=1 - self.beta1)
            self.v[k].mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
            p.sub_(lr * (self.m[k] / c1) / ((self.v[k] / c2).sqrt() + self.eps))
            p.grad = None


def distill_d(student, teacher):
    s_logits, s_feats = student
    t_logits, t_feats = teacher
    feats = [mse(s, t[:, : s.shape[1]]) for s, t in zip(s_feats, t_feats)]
    return l1(s_logits, t_logits) + sum(feats) / len(feats)


def main():
    job = json.load(open(sys.argv[1]))
    t = read_safetensors(job["tensors"])
    supernet = Supernet({k[2:]: v for k, v in t.items() if k.startswith("g/")})
    adapters = {k[2:]: (oihw(v) if v.dim() == 4 else v.clone()).requires_grad_(True) for k, v in t.items() if k.startswith("a/")}
    d_teacher = PatchGan(t, "dt/", job["discriminatorLayers"])
    d_student = PatchGan(t, "ds/", job["discriminatorLayers"])
    lr, hr = nchw(t["lr"]), nchw(t["hr"])
    teacher_sr = nchw(t["teacher/sr"])
    teacher_blocks = {int(k.split("/")[-1]): nchw(v) for k, v in t.items() if k.startswith("teacher/block/")}
    skip = oihw(t["skip"])
    w = job["losses"]
    betas, eps = job["adam"]["betas"], job["adam"]["epsilon"]
    opt_g = Adam({**supernet.params, **{"adapters/" + k: v for k, v in adapters.items()}}, betas, eps)
    opt_dt = Adam(d_teacher.params, betas, eps)
    opt_ds = Adam(d_student.params, betas, eps)
    genomes = job["genomes"]

    def adapt(i, features):
        weight = adapters[f"adapter.{i}.weight"][:, : features.shape[1]]
        out = F.conv2d(features, weight, adapters[f"adapter.{i}.bias"])
        return out

    def step():
        sums = {}

        def add(name, value):
            sums[name] = sums.get(name, 0.0) + float(value) / len(genomes)

        d_student.requires_grad(False)
        d_teacher.requires_grad(False)
        with torch.no_grad():
            real_student = d_student.forward(hr)[0]
        fakes = []
        for g in genomes:
            sr, blocks = supernet.forward(g, lr, skip)
            fakes.append(sr.detach())
            terms = {"pixel": l1(sr, hr), "outputDistill": l1(sr, teacher_sr)}
            # The same two means in float64: how far float32 summation alone moves them.
            add("pixel64", l1(sr.detach().double(), hr.double()))
            add("outputDistill64", l1(sr.detach().double(), teacher_sr.double()))
            if g["pairs"]:
                parts = []
                for i, p in enumerate(g["pairs"]):
                    adapted = adapt(i, blocks[i])
                    target = teacher_blocks[p]
                    factor = adapted.shape[2] // target.shape[2]
                    if factor != 1:
                        adapted = F.avg_pool2d(adapted, factor)
                    parts.append(mse(adapted, target))
                terms["featureDistill"] = sum(parts) / len(parts)
            terms["adversarial"] = relativistic_g(real_student, d_student.forward(sr)[0])
            total = sum(terms[k] * w[k] for k in terms)
            total.backward()
            for k, v in terms.items():
                add(k, v)
            add("generator", total)
        opt_g.step(len(genomes), job["rates"]["g"])

        d_teacher.requires_grad(True)
        real_t = d_teacher.forward(hr)
        outs_t = [d_teacher.forward(f) for f in fakes]
        losses_t = [relativistic_d(real_t[0], o[0]) for o in outs_t]
        sum(losses_t).backward()
        detach = lambda o: (o[0].detach(), [x.detach() for x in o[1]])
        target_real, target_fakes = detach(real_t), [detach(o) for o in outs_t]
        d_student.requires_grad(True)
        real_s = d_student.forward(hr)
        real_distill = distill_d(real_s, target_real)
        losses_s = []
        for k, f in enumerate(fakes):
            out = d_student.forward(f)
            gan = relativistic_d(real_s[0], out[0])
            distill = 0.5 * (real_distill + distill_d(out, target_fakes[k]))
            loss = gan + distill * job["discriminatorDistill"]
            losses_s.append(loss)
            add("discriminatorTeacher", losses_t[k])
            add("discriminator", loss)
            add("discriminatorDistill", distill)
        sum(losses_s).backward()
        opt_dt.step(len(fakes), job["rates"]["d"])
        opt_ds.step(len(fakes), job["rates"]["d"])
        return sums

    torch.set_num_threads(job["threads"][0] if job["threads"] else 2)
    # The check: every SubGenerator's output before training, then the first two steps' losses.
    worst_output = 0.0
    with torch.no_grad():
        for k, g in enumerate(genomes):
            ours = nchw(t[f"out/{k}"])
            sr, _ = supernet.forward(g, lr, skip)
            worst_output = max(worst_output, float((sr - ours).abs().max()))
    checks = []
    for expected in job["expectedLosses"]:
        got = step()
        diffs = {k: abs(got[k] - v) / max(abs(v), 1e-3) for k, v in expected.items()}
        worst = max(diffs, key=diffs.get)
        checks.append({"losses": got, "expected": expected, "maxRelativeDiff": diffs[worst], "worst": worst})
    timings = []
    for threads in job["threads"]:
        torch.set_num_threads(threads)
        for _ in range(job["warmup"]):
            step()
        times = []
        for _ in range(job["steps"]):
            start = time.perf_counter()
            step()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        timings.append({"threads": threads, "stepMs": times[len(times) // 2], "allMs": times})
    print(json.dumps({"torch": torch.__version__, "maxOutputDiff": worst_output, "checks": checks, "timings": timings}))


if __name__ == "__main__":
    main()
