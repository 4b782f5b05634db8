import json

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {"linear": lambda x: x, "relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "elu": F.elu, "softplus": F.softplus}


def mlp(widths):
    return nn.ModuleList(nn.Linear(i, o) for i, o in zip(widths[:-1], widths[1:]))


class VariaVAE(nn.Module):
    """A PyTorch twin of a varia VAE (Gaussian, Bernoulli or Poisson likelihood) with varia's names and layouts."""

    def __init__(self, config):
        super().__init__()
        c = self.config = config
        self.act = ACTIVATIONS[c["activation"]]
        self.encoder = mlp([c["inputDim"], *c["encoderUnits"]])
        last = ([c["inputDim"]] + c["encoderUnits"])[-1]
        self.encoder_head = nn.ModuleDict({"loc": nn.Linear(last, c["latentDim"]), "scale": nn.Linear(last, c["latentDim"])})
        self.decoder = mlp([c["latentDim"], *c["decoderUnits"]])
        last = ([c["latentDim"]] + c["decoderUnits"])[-1]
        if c["likelihood"] == "gaussian":  # with observationScale "learned-scalar" (the default)
            self.likelihood = nn.Module()
            self.likelihood.loc = nn.Linear(last, c["inputDim"])
            self.likelihood.raw_scale = nn.Parameter(torch.zeros(()))
        else:  # "bernoulli" (logits) or "poisson" (log-rate, without librarySize)
            self.likelihood = nn.Linear(last, c["inputDim"])

    def hidden(self, layers, h):
        for layer in layers:
            h = self.act(layer(h))
        return h

    def encode(self, x):
        """The posterior q(z|x) = N(loc, scale²): returns (loc, scale); varia's encode(x) is loc."""
        h = self.hidden(self.encoder, torch.log1p(x) if self.config["inputTransform"] == "log1p" else x)
        u = self.encoder_head["scale"](h)
        exp = self.config["encoderScaleTransform"] == "exp"
        return self.encoder_head["loc"](h), torch.exp(u / 2) if exp else F.softplus(u) + 1e-4

    def decode(self, z):
        """The mean E[x|z] of p(x|z) (varia's decode(z).mean())."""
        h = self.hidden(self.decoder, z)
        if self.config["likelihood"] == "gaussian":
            return self.likelihood.loc(h)
        out = self.likelihood(h)
        return torch.sigmoid(out) if self.config["likelihood"] == "bernoulli" else torch.exp(out)


def load_varia(path, load_file):
    """Reads a file written by varia's toSafetensors: load_file is safetensors.torch.load_file."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        config = json.loads(json.loads(f.read(n))["__metadata__"]["config"])
    model = VariaVAE(config)
    model.load_state_dict(load_file(path))  # strict: every name and shape must match
    return model
