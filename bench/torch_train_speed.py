"""PyTorch CPU reference for bench/train-speed: the same proteomics model (embedding 64, two residual blocks,
decoder 64->32->classes with INRLinear in the decoder), Adam, cross-entropy, same batch size.
Reads {"inputDim", "numClasses", "batchSize", "batches", "threads", "alpha", "levels"} as JSON on stdin and
prints {"samplesPerSecond"}."""
import json, math, sys, time
import torch
import torch.nn as nn

cfg = json.load(sys.stdin)
torch.manual_seed(0)
torch.set_num_threads(cfg["threads"])


class INRLinear(nn.Module):
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


class Block(nn.Module):
    def __init__(self, d, p):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(d, d), nn.LayerNorm(d), nn.ReLU(), nn.Dropout(p), nn.Linear(d, d))

    def forward(self, x):
        return x + self.f(x)


a, L = cfg["alpha"], cfg["levels"]
model = nn.Sequential(
    nn.Linear(cfg["inputDim"], 64), Block(64, 0.2), Block(64, 0.2),
    INRLinear(64, 32, a, L), nn.ReLU(), nn.Dropout(0.2), INRLinear(32, cfg["numClasses"], a, L),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
bs = cfg["batchSize"]
x = torch.randn(bs * 8, cfg["inputDim"])
y = torch.randint(0, cfg["numClasses"], (bs * 8,))


def step(i):
    j = (i % 8) * bs
    opt.zero_grad()
    loss = loss_fn(model(x[j:j + bs]), y[j:j + bs])
    loss.backward()
    opt.step()


for i in range(10):
    step(i)
t = time.perf_counter()
for i in range(cfg["batches"]):
    step(i)
dt = time.perf_counter() - t
print(json.dumps({"samplesPerSecond": cfg["batches"] * bs / dt}))
