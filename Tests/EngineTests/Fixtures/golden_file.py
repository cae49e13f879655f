"""The golden file format "hilo-golden-1" the make_*_golden.py scripts write (Golden.swift reads it): a
JSON index {name: {dtype, shape, offset}} with the run's metadata, and the little-endian tensors in a .bin."""
import json
import os

import torch


def write_golden(folder, name, arrays, **meta):
    """Writes folder/name.json and folder/name.bin; integer tensors as i32, the rest as f32. Returns the .bin size."""
    index, blob = {}, bytearray()
    for key, t in arrays.items():
        a = t.detach().cpu().numpy()
        a = a.astype("<i4") if a.dtype.kind in "iu" else a.astype("<f4")
        index[key] = {"dtype": "i32" if a.dtype.kind == "i" else "f32", "shape": list(a.shape), "offset": len(blob)}
        blob += a.tobytes()
    with open(os.path.join(folder, name + ".json"), "w") as f:
        json.dump({"format": "hilo-golden-1", "torch": torch.__version__, "config": {}, **meta, "tensors": index}, f, indent=1)
    with open(os.path.join(folder, name + ".bin"), "wb") as f:
        f.write(blob)
    return len(blob)
