#!/usr/bin/env python3
"""compare_images.py A.png B.png [--max-level-diff N]: how far two images of the same request are
apart, per 8-bit channel value. Prints one line; exits 1 when their sizes differ or, with
--max-level-diff, when a channel differs by more than N levels."""
import argparse
import sys

import numpy as np
from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--max-level-diff", type=int)
    args = ap.parse_args()
    a = np.asarray(Image.open(args.a).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(args.b).convert("RGB"), dtype=np.int16)
    if a.shape != b.shape:
        print(f"sizes differ: {args.a} {a.shape[1]}x{a.shape[0]}, {args.b} {b.shape[1]}x{b.shape[0]}")
        return 1
    diff = np.abs(a - b)
    print(f"max {diff.max()} levels, mean {diff.mean():.3f}, within 1 level {100 * (diff <= 1).mean():.2f} %"
          f" ({args.a} vs {args.b})")
    return 1 if args.max_level_diff is not None and diff.max() > args.max_level_diff else 0


if __name__ == "__main__":
    sys.exit(main())
