"""PyTorch reference for bench/train-speed: swarmd's default proteomics model (embedding 64, two residual
blocks, decoder 64->32->classes, INRLinear in every linear layer as inr.layers='all'), Adam, cross-entropy.
Reads {"inputDim", "numClasses", "batchSizes", "samples", "repeats", "threads", "device", "alpha", "levels"} as JSON on
stdin and prints {"device", "results": [{"batchSize", "samplesPerSecond"}]}."""
import json, math, sys, time
import torch
import torch.nn as nn

cfg = json.load(sys.stdin)
torch.manual_seed(0)
if cfg["threads"]:
    torch.set_num_threads(cfg["threads"])
dev = torch.device(cfg["device"])


class INRLinear(nn.Module):
    """y = a(xW + b) + (1 - a) * phi(gamma(c')), phi: 2L -> 8 -> 8 -> 1 (swarmd's INRLinear, deltaScale 1)."""

    def __init__(self, d_in, d_out, alpha, levels, hidden=8):
        super().__init__()
        self.lin = nn.Linear(d_in, d_out)
        self.alpha = alpha
        perm = torch.randperm(d_out).float()
        c = 2 * perm / max(d_out - 1, 1) - 1
        freqs = (2.0 ** torch.arange(levels)) * math.pi
        ang = c[:, None] * freqs[None, :]
        self.register_buffer("enc", torch.stack([ang.sin(), ang.cos()], -1).reshape(d_out, 2 * levels))
        self.phi = nn.Sequential(nn.Linear(2 * levels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.alpha * self.lin(x) + (1 - self.alpha) * self.phi(self.enc).squeeze(-1)


a, L = cfg["alpha"], cfg["levels"]


def lin(i, o):
    return INRLinear(i, o, a, L)


class Block(nn.Module):
    def __init__(self, d, p):
        super().__init__()
        self.f = nn.Sequential(lin(d, d), nn.LayerNorm(d), nn.ReLU(), nn.Dropout(p), lin(d, d))

    def forward(self, x):
        return x + self.f(x)


def measure(bs):
    model = nn.Sequential(
        lin(cfg["inputDim"], 64), Block(64, 0.2), Block(64, 0.2),
        lin(64, 32), nn.ReLU(), nn.Dropout(0.2), lin(32, cfg["numClasses"]),
    ).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(bs * 8, cfg["inputDim"], device=dev)
    y = torch.randint(0, cfg["numClasses"], (bs * 8,), device=dev)

    def step(i):
        j = (i % 8) * bs
        opt.zero_grad()
        loss = loss_fn(model(x[j:j + bs]), y[j:j + bs])
        loss.backward()
        opt.step()

    for i in range(10):
        step(i)
    steps = max(20, cfg["samples"] // bs)
    best = 0.0
    for _ in range(cfg.get("repeats", 1)):  # the fastest of several: load on a shared machine only slows
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        for i in range(steps):
            step(i)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        best = max(best, steps * bs / (time.perf_counter() - t))
    return best


name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
print(json.dumps({"device": name, "results": [{"batchSize": b, "samplesPerSecond": measure(b)} for b in cfg["batchSizes"]]}))
