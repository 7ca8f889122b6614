"""Write the MNI152 T1 template as raw axial slices, the format of the seed's 3D-PLI data.

The template ships inside nilearn's wheel (found without importing nilearn). Each slice is one
file of 233 x 197 uint8 values (rows posterior to anterior, columns left to right), numbered
without zero padding, ``mni152_slice_0.raw`` (inferior) to ``mni152_slice_188.raw``
(superior), so that `moviec convert` has to sort them naturally.

    python tools/demo_data.py OUT_DIR
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nibabel
import numpy as np

TEMPLATE = "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"


def template_path() -> Path:
    spec = importlib.util.find_spec("nilearn")
    if spec is None or spec.origin is None:
        sys.exit("nilearn is not installed (make installs it: pip install --no-deps nilearn)")
    return Path(spec.origin).parent / TEMPLATE


def main(out_dir: Path) -> None:
    volume = np.asarray(nibabel.load(template_path()).dataobj)  # (x, y, z), RAS, 1 mm
    out_dir.mkdir(parents=True, exist_ok=True)
    for z in range(volume.shape[2]):
        axial = np.ascontiguousarray(volume[:, :, z].T, dtype=np.uint8)  # rows y, columns x
        target = out_dir / f"mni152_slice_{z}.raw"
        partial = target.with_name(f".{target.name}.partial")  # hidden: convert skips it
        axial.tofile(partial)
        partial.replace(target)
    print(f"{out_dir}: {volume.shape[2]} slices of {volume.shape[1]} x {volume.shape[0]} uint8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
