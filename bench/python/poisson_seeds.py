"""The PyTorch side of bench/scripts/poisson-seeds.mjs: mnist-vae-train-poisson's model (torch_vae.VAE, nn.Linear
default init) trained from several seeds, one JSON line per seed on stdout.

Usage: poisson_seeds.py CONFIG.json
CONFIG: {"data": path to float32 [rows, 784] counts, "rows", "first": first seed, "seeds": how many, "mode": "bench" |
         "curve", "epochs", "lr", "batch_size", "warmup_examples"}
mode "bench": the bench's protocol (torch_vae.train): a warm-up pass over warmup_examples of a permutation, then a
  fresh Adam for `epochs` epochs; prints {"seed", "warm": the warm-up's mean loss, "losses": each epoch's mean loss}.
mode "curve": one Adam from the initial weights for `epochs` epochs; prints {"seed", "losses"}.
A run whose loss became non-finite (exp of a sampled log-rate overflowing float32; PyTorch trains on, with NaN
weights from then on) prints {"seed", "diverged": "warm-up" | "epoch E"} instead of its losses.
A seed s is torch.manual_seed(s): initial weights, batch order and the reparameterization noise.
"""
import json
import math
import sys

import numpy as np
import torch

from torch_vae import VAE, train


def epoch_losses(model, x, norm, batch_size, lr, epochs):
    """Each epoch's mean training loss (−ELBO per example, log x! included) under one Adam, as torch_vae.train runs
    an epoch."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-8)
    n = x.shape[0]
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            loss = model.loss(x[idx], norm[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / n)
    return losses


def main():
    cfg = json.load(open(sys.argv[1]))
    torch.set_num_threads(1)
    rows = cfg["rows"]
    x = torch.from_numpy(np.fromfile(cfg["data"], dtype=np.float32).reshape(rows, 784).copy())
    norm = torch.lgamma(x + 1).sum(1)
    batch_size, lr, epochs = cfg["batch_size"], cfg["lr"], cfg["epochs"]
    for seed in range(cfg["first"], cfg["first"] + cfg["seeds"]):
        torch.manual_seed(seed)
        model = VAE(784, 400, 20, "poisson")
        out = {"seed": seed}
        if cfg["mode"] == "bench":
            _, out["warm"] = train(model, x, norm, batch_size, lr, 1, cfg["warmup_examples"])
        if not math.isfinite(out.get("warm", 0.0)):
            out = {"seed": seed, "diverged": "warm-up"}
        else:
            out["losses"] = epoch_losses(model, x, norm, batch_size, lr, epochs)
            bad = [e for e, loss in enumerate(out["losses"]) if not math.isfinite(loss)]
            if bad:
                out = {"seed": seed, "diverged": f"epoch {bad[0] + 1}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
