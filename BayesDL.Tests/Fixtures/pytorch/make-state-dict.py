#!/usr/bin/env python3
"""Writes the PyTorch-import fixture for BayesDL.Tests/Builders/PyTorchWeightsTests.fs (run once; the suite needs no Python).

A 4-8-3 MLP with ReLU (nn.Sequential: 0 Linear, 1 ReLU, 2 Linear) is initialised with torch.manual_seed(20261203),
its state dict is saved with torch.save (mlp-4-8-3.pt), and its outputs on six fixed inputs are written to
mlp-4-8-3-outputs.csv (columns x0..x3, y0..y2, float32 values printed with 9 significant digits).
Run: python3 make-state-dict.py   (Debian's python3-torch 1.13).
"""
import csv
import os

import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(20261203)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
torch.save(model.state_dict(), os.path.join(here, "mlp-4-8-3.pt"))

x = torch.linspace(-2.0, 2.0, 24, dtype=torch.float32).reshape(6, 4) * torch.tensor([1.0, -0.5, 0.75, 1.5])
with torch.no_grad():
    y = model(x)
with open(os.path.join(here, "mlp-4-8-3-outputs.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["x0", "x1", "x2", "x3", "y0", "y1", "y2"])
    for xi, yi in zip(x.tolist(), y.tolist()):
        w.writerow([f"{v:.9g}" for v in xi + yi])
print("torch", torch.__version__, "wrote", x.shape[0], "rows; state dict keys:", list(model.state_dict().keys()))
