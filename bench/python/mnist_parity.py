"""MNIST parity check (issue 5): the PyTorch twin of `pnpm playground train --dataset mnist --likelihood bernoulli
--epochs 10 --batch-size 128 --latent-dim 20 --hidden 400 --lr 1e-3 --seed S`, on the same fixed split.

Usage: /usr/bin/python3 bench/python/mnist_parity.py DIR [SEED ...]
DIR holds train.f32 / test.f32 (float32 [n, 784], written by bench/scripts/export-mnist.mjs).
Prints one JSON line per seed: {"seed", "test_neg_elbo"} (nats per image, one posterior sample, analytic KL).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from torch_vae import VAE  # noqa: E402


def main():
    d = sys.argv[1]
    seeds = [int(s) for s in sys.argv[2:]] or [0]
    torch.set_num_threads(1)
    train = torch.from_numpy(np.fromfile(os.path.join(d, "train.f32"), dtype=np.float32).reshape(-1, 784))
    test = torch.from_numpy(np.fromfile(os.path.join(d, "test.f32"), dtype=np.float32).reshape(-1, 784))
    for seed in seeds:
        torch.manual_seed(seed)
        model = VAE(784, 400, 20, "bernoulli")
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-8)
        for _ in range(10):
            perm = torch.randperm(train.shape[0])
            for i in range(0, train.shape[0], 128):
                opt.zero_grad()
                loss = model.loss(train[perm[i : i + 128]])
                loss.backward()
                opt.step()
        with torch.no_grad():
            neg_elbo = float(model.loss(test))
        print(json.dumps({"seed": seed, "test_neg_elbo": neg_elbo}), flush=True)


if __name__ == "__main__":
    main()
