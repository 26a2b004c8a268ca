#!/usr/bin/env python3
"""Trains the demo model shipped in config/models/demo.safetensors.

A fleet of sensors emits noisy periodic signals; now and then a reading spikes (an anomaly). The model
reads each sensor's stream one observation at a time -- features [value, value - previous value] -- and
outputs the probability that the current reading is an anomaly. The C# demo (`lstm-streams demo`)
simulates the same fleet (src/LstmStreams.Cli/Demo/SensorFleet.cs).

As users should, it trains on standardized inputs, x' = (x - mean) / std with the training data's float32
mean and std, and stores them in the file's metadata (`feature_names`, `feature_mean`, `feature_std`, JSON
text), so `lstm-streams run` and `demo` take raw readings and standardize them exactly as here. A regression
model would standardize its targets too and store `target_mean` and `target_std` (see `scaling_metadata`);
this one predicts a probability (sigmoid head, binary labels), which is not standardized. Needs only
python3-torch: the safetensors file is written with struct + json.

    /usr/bin/python3 config/models/train_demo.py      # Debian python3-torch; about a minute on 2 cores
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ANOMALY_RATE = 0.01
FEATURES = ["value", "delta"]


def simulate(batch, steps, generator):
    """Same semantics as SensorFleet.cs: per-sensor frequency, phase, amplitude; Gaussian noise; spikes."""
    freq = torch.empty(batch, 1).uniform_(0.02, 0.2, generator=generator)
    phase = torch.empty(batch, 1).uniform_(0, 2 * math.pi, generator=generator)
    amp = torch.empty(batch, 1).uniform_(0.5, 2.0, generator=generator)
    t = torch.arange(steps, dtype=torch.float32).unsqueeze(0)
    value = amp * torch.sin(freq * t + phase) + 0.1 * torch.randn(batch, steps, generator=generator)
    anomaly = (torch.rand(batch, steps, generator=generator) < ANOMALY_RATE).float()
    sign = torch.where(torch.rand(batch, steps, generator=generator) < 0.5, -1.0, 1.0)
    spike = sign * torch.empty(batch, steps).uniform_(3.0, 6.0, generator=generator)
    value = value + anomaly * spike
    delta = torch.cat([torch.zeros(batch, 1), value[:, 1:] - value[:, :-1]], dim=1)
    return torch.stack([value, delta], dim=-1), anomaly


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(2, 32, num_layers=1, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out).squeeze(-1)  # logits; sigmoid is applied at inference (metadata)


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        raw = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def scaling_metadata(feature_names, feature_mean, feature_std, target_mean=None, target_std=None):
    """The keys lstm-streams reads: JSON text; means and stds as float32 values printed as Python floats."""
    def numbers(tensor):
        return json.dumps([float(v) for v in tensor.to(torch.float32).flatten()])
    metadata = {"feature_names": json.dumps(feature_names),
                "feature_mean": numbers(feature_mean), "feature_std": numbers(feature_std)}
    if target_mean is not None:
        metadata["target_mean"] = numbers(target_mean)
        metadata["target_std"] = numbers(target_std)
    return metadata


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    generator = torch.Generator().manual_seed(1)
    # The training data's statistics, in float32: inputs are fed as (x - mean) / std from here on.
    x, _ = simulate(512, 400, generator)
    mean, std = x.reshape(-1, 2).mean(dim=0), x.reshape(-1, 2).std(dim=0)
    print(f"feature mean {mean.tolist()}, std {std.tolist()}")
    model = Detector()
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(10.0))
    for step in range(600):
        x, y = simulate(64, 150, generator)
        loss = loss_fn(model((x - mean) / std), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 100 == 0:
            print(f"step {step}: loss {loss.item():.4f}", flush=True)

    with torch.no_grad():
        x, y = simulate(256, 400, generator)
        p = torch.sigmoid(model((x - mean) / std))
        flagged = p > 0.5
        recall = (flagged & (y > 0)).sum().item() / max(1, (y > 0).sum().item())
        precision = (flagged & (y > 0)).sum().item() / max(1, flagged.sum().item())
    print(f"held-out: recall {recall:.3f}, precision {precision:.3f}")
    write_safetensors(os.path.join(HERE, "demo.safetensors"), model.state_dict(),
                      {"format": "pt", "cell": "lstm", "head_activation": "sigmoid",
                       "description": "sensor anomaly detector: x = [value, delta]; y = P(anomaly)",
                       "recall": f"{recall:.3f}", "precision": f"{precision:.3f}",
                       **scaling_metadata(FEATURES, mean, std)})


if __name__ == "__main__":
    main()
