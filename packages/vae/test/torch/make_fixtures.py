"""Writes the PyTorch fixtures of packages/vae/src/vae-safetensors.test.ts (run: /usr/bin/python3 make_fixtures.py):
models built and randomly initialised by PyTorch, saved as safetensors with the config in the metadata, and the
outputs PyTorch computes for fixed inputs (expected.json)."""
import json
import os

import torch

from minimal_safetensors import save_file
from varia_vae import VariaVAE

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "torch")
BASE = {"observationScale": "learned-scalar", "librarySize": False, "prior": "standard-normal", "deterministic": False, "init": "torch", "seed": 0}
CONFIGS = {
    "gaussian": {"inputDim": 4, "latentDim": 2, "encoderUnits": [6, 5], "decoderUnits": [5, 6], "likelihood": "gaussian", "activation": "tanh", "inputTransform": "none", "encoderScaleTransform": "exp"},
    "bernoulli": {"inputDim": 5, "latentDim": 3, "encoderUnits": [7], "decoderUnits": [4], "likelihood": "bernoulli", "activation": "elu", "inputTransform": "none", "encoderScaleTransform": "softplus"},
    "poisson": {"inputDim": 6, "latentDim": 2, "encoderUnits": [8], "decoderUnits": [8], "likelihood": "poisson", "activation": "relu", "inputTransform": "log1p", "encoderScaleTransform": "exp"},
}

torch.manual_seed(2026)
expected = {}
for name, partial in CONFIGS.items():
    config = {**BASE, **partial}
    model = VariaVAE(config)
    with torch.no_grad():
        for p in model.parameters():  # away from the default init, so a wrong layout cannot pass by symmetry
            p.add_(0.3 * torch.randn_like(p))
        x = torch.rand(3, config["inputDim"]) * (6 if name == "poisson" else 1)
        if name == "poisson":
            x = torch.round(x)
        z = torch.randn(3, config["latentDim"])
        loc, scale = model.encode(x)
        mean = model.decode(z)
    save_file(model.state_dict(), os.path.join(OUT, f"{name}.safetensors"), metadata={"config": json.dumps(config), "writer": f"torch {torch.__version__}"})
    expected[name] = {"x": x.tolist(), "z": z.tolist(), "loc": loc.tolist(), "scale": scale.tolist(), "mean": mean.tolist(), "names": sorted(model.state_dict())}
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", sorted(os.listdir(OUT)))
