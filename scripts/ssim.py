#!/usr/bin/env python3
"""SSIM of each output against its input, on luma (BT.601 Y, as JPEG codes it), in 1024-row
bands so a 48 MP pair needs about 1 GB, with scikit-image's structural_similarity (7×7 window,
data range 255). Usage: ssim.py REFERENCE CANDIDATE [CANDIDATE...]; prints one line per
candidate: SSIM, pixels, width×height ("size differs" when the candidate is not the same size:
SSIM needs the same pixels). EXIF orientation is applied to both first."""
import sys
import numpy as np
from PIL import Image, ImageOps
from skimage.metrics import structural_similarity

Image.MAX_IMAGE_PIXELS = None

def luma(path):
    img = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    a = np.asarray(img, dtype=np.float32)
    return 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]

def ssim(x, y, band=1024, pad=8):
    total, weight = 0.0, 0
    h = x.shape[0]
    for top in range(0, h, band):
        a, b = max(0, top - pad), min(h, top + band + pad)
        s, full = structural_similarity(x[a:b], y[a:b], data_range=255, full=True)
        rows = full[top - a: top - a + min(band, h - top)]
        total += float(rows.sum())
        weight += rows.size
    return total / weight

ref = luma(sys.argv[1])
for path in sys.argv[2:]:
    cand = luma(path)
    if cand.shape != ref.shape:
        print(f"size differs {path} {cand.shape[1]}x{cand.shape[0]}")
        continue
    print(f"{ssim(ref, cand):.5f} {cand.shape[1] * cand.shape[0]} {cand.shape[1]}x{cand.shape[0]} {path}")
