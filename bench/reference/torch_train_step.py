"""PyTorch reference for bench/model-train-step.ts: the same MFA SubGenerator and PatchGAN, the same G+D training
step (relativistic-average GAN loss + L1, Adam), timed on this CPU. Reads a JSON job on argv[1], prints JSON.

Job: {"genome": {...core genome...}, "batch": 16, "lr": 32, "d": {"baseWidth": 64, "layers": 3},
      "steps": 5, "warmup": 2, "threads": 2}
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SLOPE = 0.2


class Branch(nn.Module):
    def __init__(self, kind, cin, width):
        super().__init__()
        self.kind = kind
        self.down = {"conv3": 1, "dil2": 1, "down2": 2, "down4": 4}[kind]
        dil = 2 if kind == "dil2" else 1
        self.conv = nn.Conv2d(cin, width, 3, padding=dil, dilation=dil)

    def forward(self, x):
        if self.down > 1:
            x = F.avg_pool2d(x, self.down)
        x = F.leaky_relu(self.conv(x), SLOPE)
        if self.down > 1:
            x = F.interpolate(x, scale_factor=self.down, mode="nearest")
        return x


class MfaBlock(nn.Module):
    def __init__(self, c, block):
        super().__init__()
        self.branches = nn.ModuleList(Branch(k, c, block["branchWidth"]) for k in block["branches"])
        self.fuse = nn.Conv2d(len(block["branches"]) * block["branchWidth"], c, 1)

    def forward(self, x):
        return x + 0.2 * self.fuse(torch.cat([b(x) for b in self.branches], 1))


class MfaGenerator(nn.Module):
    def __init__(self, g):
        super().__init__()
        c = g["trunkWidth"]
        self.conv_first = nn.Conv2d(3, c, 3, padding=1)
        self.body = nn.Sequential(*[MfaBlock(c, b) for b in g["blocks"]])
        self.conv_body = nn.Conv2d(c, c, 3, padding=1)
        stages = {2: 1, 4: 2}[g["scale"]]
        self.pixel_shuffle = g["upsampler"] == "pixel-shuffle"
        self.ups = nn.ModuleList(nn.Conv2d(c, 4 * c if self.pixel_shuffle else c, 3, padding=1) for _ in range(stages))
        self.conv_hr = nn.Conv2d(c, c, 3, padding=1)
        self.conv_last = nn.Conv2d(c, 3, 3, padding=1)

    def forward(self, x):
        f0 = self.conv_first(x)
        x = self.conv_body(self.body(f0)) + f0
        for up in self.ups:
            if self.pixel_shuffle:
                x = F.leaky_relu(F.pixel_shuffle(up(x), 2), SLOPE)
            else:
                x = F.leaky_relu(up(F.interpolate(x, scale_factor=2, mode="nearest")), SLOPE)
        return self.conv_last(F.leaky_relu(self.conv_hr(x), SLOPE))


class PatchGan(nn.Module):
    def __init__(self, base, layers, max_mult=8):
        super().__init__()
        widths = [min(2**n, max_mult) * base for n in range(layers + 1)]
        convs, cin = [], 3
        for n, w in enumerate(widths):
            convs.append(nn.Conv2d(cin, w, 4, stride=2 if n < layers else 1, padding=1))
            cin = w
        self.convs = nn.ModuleList(convs)
        self.logits = nn.Conv2d(cin, 1, 4, padding=1)

    def forward(self, x):
        for conv in self.convs:
            x = F.leaky_relu(conv(x), SLOPE)
        return self.logits(x)


def ragan(real_logits, fake_logits, for_generator):
    a = real_logits - fake_logits.mean()
    b = fake_logits - real_logits.mean()
    ones, zeros = torch.ones_like(a), torch.zeros_like(a)
    if for_generator:
        return (F.binary_cross_entropy_with_logits(a, zeros) + F.binary_cross_entropy_with_logits(b, ones)) / 2
    return (F.binary_cross_entropy_with_logits(a, ones) + F.binary_cross_entropy_with_logits(b, zeros)) / 2


def main():
    job = json.loads(sys.argv[1])
    torch.set_num_threads(job.get("threads", 2))
    torch.manual_seed(0)
    g = MfaGenerator(job["genome"])
    d = PatchGan(job["d"]["baseWidth"], job["d"]["layers"])
    opt_g = torch.optim.Adam(g.parameters(), 1e-4, betas=(0.9, 0.99))
    opt_d = torch.optim.Adam(d.parameters(), 1e-4, betas=(0.9, 0.99))
    n, s, scale = job["batch"], job["lr"], job["genome"]["scale"]
    lr = torch.rand(n, 3, s, s)
    hr = torch.rand(n, 3, s * scale, s * scale)

    def step():
        sr = g(lr)
        loss_d = ragan(d(hr), d(sr.detach()), False)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.l1_loss(sr, hr) + 5e-3 * ragan(d(hr).detach(), d(sr), True)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    def timed(fn, steps, warmup):
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        return times[len(times) // 2]

    with torch.no_grad():
        forward_ms = timed(lambda: g(lr), job["steps"], job["warmup"])
    step_ms = timed(step, job["steps"], job["warmup"])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "forwardMs": forward_ms,
                      "stepMs": step_ms}))


if __name__ == "__main__":
    main()
