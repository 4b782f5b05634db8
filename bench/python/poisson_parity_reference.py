"""Reference values for bench/src/poisson-parity.test.ts: torch_vae.VAE("poisson") — the model PyTorch runs in the
bench — at fixed weights, in float64 autograd. The objective is deterministic (z = the posterior mean μ, no sample):
mean over rows of −log p(x | z = μ(x)) (log x! included) + KL(N(μ, σ²) ‖ N(0, 1)), σ = exp(u/2).

Usage: /usr/bin/python3 bench/python/poisson_parity_reference.py > bench/src/poisson-parity.reference.json
The weights follow one formula on both sides: parameter k (in the order below), element i (row-major in varia's
[in, out] kernel layout) is 0.4 · sin(1.7 · i + 1.1 · k + 0.9): every hidden unit (encoder and decoder) is
active on some rows and off on others.
"""
import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from torch_vae import VAE  # noqa: E402

D, H, d = 6, 5, 3
X = [[0, 3, 12, 0, 1, 40], [7, 0, 0, 200, 2, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 5]]
PARAMS = ["encoder/0", "encoder_head/loc", "encoder_head/scale", "decoder/0", "likelihood"]


def weight(k, n):
    return torch.tensor([0.4 * math.sin(1.7 * i + 1.1 * k + 0.9) for i in range(n)], dtype=torch.float64)


def main():
    torch.set_default_dtype(torch.float64)
    model = VAE(D, H, d, "poisson")
    modules = [model.enc, model.mu, model.log_var, model.dec, model.out]
    with torch.no_grad():
        for j, mod in enumerate(modules):
            fan_out, fan_in = mod.weight.shape
            mod.weight.copy_(weight(2 * j, fan_in * fan_out).reshape(fan_in, fan_out).T)
            mod.bias.copy_(weight(2 * j + 1, fan_out))
    x = torch.tensor(X, dtype=torch.float64)
    mu, log_var = model.encode(x)
    o = model.out(F.relu(model.dec(mu)))
    nll = -((x * o - torch.exp(o)).sum(1) - torch.lgamma(x + 1).sum(1))
    kl = 0.5 * (torch.exp(log_var) + mu**2 - 1 - log_var).sum(1)
    loss = (nll + kl).mean()
    loss.backward()
    grads = {}
    for name, mod in zip(PARAMS, modules):
        grads[f"{name}/kernel"] = mod.weight.grad.T.contiguous().reshape(-1).tolist()
        grads[f"{name}/bias"] = mod.bias.grad.tolist()
    print(json.dumps({"loss": loss.item(), "grads": grads}, indent=1))


if __name__ == "__main__":
    main()
