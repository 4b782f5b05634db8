"""Loads files written by varia's toSafetensors with the PyTorch module of docs/saving-loading.md and prints their
encode/decode outputs. stdin: [{"file", "x": [[…]], "z": [[…]]}, …] → stdout: [{"loc", "scale", "mean"}, …]."""
import json
import sys

import torch

from minimal_safetensors import load_file
from varia_vae import load_varia

results = []
for case in json.load(sys.stdin):
    model = load_varia(case["file"], load_file)
    with torch.no_grad():
        loc, scale = model.encode(torch.tensor(case["x"]))
        mean = model.decode(torch.tensor(case["z"]))
    results.append({"loc": loc.tolist(), "scale": scale.tolist(), "mean": mean.tolist()})
print(json.dumps(results))
