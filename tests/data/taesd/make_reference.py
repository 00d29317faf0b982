"""Makes the TAESD decoder parity data: a random decoder of the reference architecture
(madebyollin/taesd's taesd.py, as A1111's modules/sd_vae_taesd.py and ComfyUI's comfy/taesd
define it) narrowed to `WIDTH` channels so the files stay small, saved as A1111 and ComfyUI
ship decoders (a state dict, .pth and .safetensors), and its output on a random latent.

    python3 make_reference.py   # writes taesd_decoder.{pth,safetensors} and reference.safetensors
"""
import json
import struct

import torch
import torch.nn as nn

WIDTH = 8  # the real decoders have 64


def conv(n_in, n_out, **kwargs):
    return nn.Conv2d(n_in, n_out, 3, padding=1, **kwargs)


class Clamp(nn.Module):
    def forward(self, x):
        return torch.tanh(x / 3) * 3


class Block(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.conv = nn.Sequential(conv(n_in, n_out), nn.ReLU(), conv(n_out, n_out), nn.ReLU(), conv(n_out, n_out))
        self.skip = nn.Conv2d(n_in, n_out, 1, bias=False) if n_in != n_out else nn.Identity()
        self.fuse = nn.ReLU()

    def forward(self, x):
        return self.fuse(self.conv(x) + self.skip(x))


def decoder(latent_channels=4, n=WIDTH):
    return nn.Sequential(
        Clamp(), conv(latent_channels, n), nn.ReLU(),
        Block(n, n), Block(n, n), Block(n, n), nn.Upsample(scale_factor=2), conv(n, n, bias=False),
        Block(n, n), Block(n, n), Block(n, n), nn.Upsample(scale_factor=2), conv(n, n, bias=False),
        Block(n, n), Block(n, n), Block(n, n), nn.Upsample(scale_factor=2), conv(n, n, bias=False),
        Block(n, n), conv(n, 3),
    )


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def main():
    torch.manual_seed(20261202)
    net = decoder().eval()
    state = net.state_dict()
    torch.save(state, "taesd_decoder.pth")
    save_safetensors("taesd_decoder.safetensors", state)
    latent = torch.randn(1, 4, 6, 8) * 2  # scaled latents reach beyond the Clamp's knee
    with torch.no_grad():
        image = net(latent)
    save_safetensors("reference.safetensors", {"latent": latent, "image": image})


if __name__ == "__main__":
    main()
