#!/usr/bin/env python3
"""Tiny random-weight upscaler models and their outputs, computed by the reference code.

The architectures are NOT in this file: they are imported from checkouts of the reference
repositories given on the command line, so the numbers are theirs:

  --basicsr DIR     XPixelGroup/BasicSR (basicsr/archs/rrdbnet_arch.py, arch_util.py): RRDBNet
  --realesrgan DIR  xinntao/Real-ESRGAN (realesrgan/archs/srvgg_arch.py): SRVGGNetCompact
  --spandrel DIR    chaiNNer-org/spandrel (libs/spandrel/spandrel/architectures/ESRGAN/__init__.py):
                    its _to_old_arch, which renames a state dict to the old ESRGAN naming
                    (model.0, model.1.sub.N.RDB1.conv1.0, ...) as A1111 and ComfyUI read it

From the fetched mirrors, e.g.:
  for r in XPixelGroup+BasicSR xinntao+Real-ESRGAN chaiNNer-org+spandrel; do
    mkdir -p /tmp/ref/$r && git -C /work/.mirror/$r/repo archive HEAD | tar -x -C /tmp/ref/$r; done
  python3 make_reference.py --basicsr /tmp/ref/XPixelGroup+BasicSR \
      --realesrgan /tmp/ref/xinntao+Real-ESRGAN --spandrel /tmp/ref/chaiNNer-org+spandrel --out .

Only the architecture files are loaded (BasicSR's package __init__ pulls in cv2, lmdb and the
CUDA ops): the few names they import from elsewhere in BasicSR (the registry, a logger, the
deformable-convolution ops arch_util.py names but these networks never use) are stand-ins.

Writes (torch 1.13, CPU, float32):
  rrdb_x4.pth      {"params_ema": state dict}  RRDBNet(3, 3, scale=4, num_feat=8, num_block=2, num_grow_ch=4)
  rrdb_x4_old.pth  the same weights, old ESRGAN naming, a bare state dict (as 4x-UltraSharp ships)
  rrdb_x2.pth      {"params": state dict}      RRDBNet(..., scale=2, ...): pixel-unshuffled input
  srvgg_x4.pth     {"params": state dict}      SRVGGNetCompact(3, 3, num_feat=8, num_conv=2, upscale=4, 'prelu')
  reference.pth    {"input": [1, 3, 12, 16] in [0, 1], "rrdb_x4", "rrdb_x2", "srvgg_x4": outputs}
and, with Pillow (what A1111 resizes with), a smooth 24x32 test picture and its resizes:
  picture.png, picture_lanczos_x3.png, picture_nearest_x3.png (Image.resize to 96x72),
  picture_lanczos_half.png (to 16x12)
"""
import __future__
import argparse
import ast
import functools
import importlib.util
import re
import sys
import types
from collections import OrderedDict
from pathlib import Path

import torch
from PIL import Image


def stand_in_modules():
    class Registry:
        def register(self, obj=None, suffix=None):
            return obj if obj is not None else (lambda o: o)

    def module(name, **names):
        m = types.ModuleType(name)
        m.__path__ = []
        m.__dict__.update(names)
        sys.modules[name] = m
        return m

    module("torchvision", __version__="0.0.0")
    module("basicsr")
    module("basicsr.utils", get_root_logger=lambda *a, **k: None)
    module("basicsr.utils.registry", ARCH_REGISTRY=Registry())
    module("basicsr.ops")
    module("basicsr.ops.dcn", ModulatedDeformConvPack=torch.nn.Module, modulated_deform_conv=None)
    module("basicsr.archs")
    module("realesrgan")
    module("realesrgan.archs")


def load_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def spandrel_to_old_arch(spandrel_dir):
    """spandrel's own _to_old_arch, compiled from its source without the rest of spandrel."""
    path = Path(spandrel_dir) / "libs/spandrel/spandrel/architectures/ESRGAN/__init__.py"
    tree = ast.parse(path.read_text())
    wanted = {"_new_to_old_arch", "_to_old_arch", "_get_num_blocks"}
    tree.body = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in wanted]
    namespace = {"re": re, "functools": functools, "OrderedDict": OrderedDict}
    exec(compile(tree, str(path), "exec", flags=__future__.annotations.compiler_flag), namespace)
    return namespace["_to_old_arch"]


def randomise(model):
    # The reference initialisation leaves biases at zero and PReLU slopes at 0.25; give every
    # tensor its own values so that a misplaced tensor changes the output.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.uniform_(-0.1, 0.1)
            elif p.dim() == 1:  # PReLU
                p.uniform_(0.0, 0.5)
    return model.eval()


def smooth_picture(width, height):
    y, x = torch.meshgrid(torch.arange(height) / height, torch.arange(width) / width, indexing="ij")
    rgb = torch.stack([0.5 + 0.4 * torch.sin(6.0 * x + 2.0 * y), 0.5 + 0.4 * torch.cos(5.0 * y - 3.0 * x), x * y])
    pixels = (rgb.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    return Image.fromarray(pixels, "RGB")


def write_resizes(out):
    picture = smooth_picture(32, 24)
    picture.save(out / "picture.png")
    picture.resize((96, 72), resample=Image.Resampling.LANCZOS).save(out / "picture_lanczos_x3.png")
    picture.resize((96, 72), resample=Image.Resampling.NEAREST).save(out / "picture_nearest_x3.png")
    picture.resize((16, 12), resample=Image.Resampling.LANCZOS).save(out / "picture_lanczos_half.png")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--basicsr", required=True)
    parser.add_argument("--realesrgan", required=True)
    parser.add_argument("--spandrel", required=True)
    parser.add_argument("--out", default=".")
    args = parser.parse_args()

    torch.manual_seed(12)
    torch.set_num_threads(1)
    stand_in_modules()
    archs = Path(args.basicsr) / "basicsr/archs"
    load_file("basicsr.archs.arch_util", archs / "arch_util.py")
    rrdbnet = load_file("basicsr.archs.rrdbnet_arch", archs / "rrdbnet_arch.py")
    srvgg = load_file("realesrgan.archs.srvgg_arch", Path(args.realesrgan) / "realesrgan/archs/srvgg_arch.py")
    to_old_arch = spandrel_to_old_arch(args.spandrel)

    out = Path(args.out)
    x = torch.rand(1, 3, 12, 16)
    rrdb_x4 = randomise(rrdbnet.RRDBNet(3, 3, scale=4, num_feat=8, num_block=2, num_grow_ch=4))
    rrdb_x2 = randomise(rrdbnet.RRDBNet(3, 3, scale=2, num_feat=8, num_block=2, num_grow_ch=4))
    compact = randomise(srvgg.SRVGGNetCompact(3, 3, num_feat=8, num_conv=2, upscale=4, act_type="prelu"))

    torch.save({"params_ema": rrdb_x4.state_dict()}, out / "rrdb_x4.pth")
    torch.save(to_old_arch(dict(rrdb_x4.state_dict())), out / "rrdb_x4_old.pth")
    torch.save({"params": rrdb_x2.state_dict()}, out / "rrdb_x2.pth")
    torch.save({"params": compact.state_dict()}, out / "srvgg_x4.pth")
    with torch.no_grad():
        reference = {"input": x, "rrdb_x4": rrdb_x4(x), "rrdb_x2": rrdb_x2(x), "srvgg_x4": compact(x)}
    torch.save(reference, out / "reference.pth")
    write_resizes(out)
    for name, t in reference.items():
        print(name, tuple(t.shape), f"min {t.min():.4f} max {t.max():.4f}")


if __name__ == "__main__":
    main()
