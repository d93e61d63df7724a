#!/usr/bin/env python3
"""Read seqlearn model files with plain Python, and (skeleton) check a PyTorch reference
model against seqlearn's logits and gradients.

A seqlearn model file is a safetensors file: an 8-byte little-endian header length N, N bytes
of JSON header ({name: {dtype, shape, data_offsets}}, plus "__metadata__" with string values),
then the raw little-endian tensors. seqlearn stores its model configuration
("seqlearn.config"), tokenizer ("seqlearn.tokenizer"), format tag ("format":
"seqlearn.lm/1") and a CRC-32 of the file ("seqlearn.crc32", computed with its own eight hex
digits set to "00000000") in the metadata. This module reads all of it with struct, json,
zlib and numpy only, so that any tool can load the weights; when the `safetensors` package is
installed it also cross-checks its reading against ours.

    python3 bench/lib/torch_parity.py --inspect model/model.safetensors
        prints {format, checksum, config, tensors: {name: {dtype, shape, sum}}} as JSON

    python3 bench/lib/torch_parity.py --parity model/ case.json
        loads the weights into the PyTorch reference for the model's kind (MODEL_BUILDERS),
        runs the batch of case.json and compares logits and gradients with the ones seqlearn
        wrote there (relative 1e-4 in f32). Needs `torch` (Debian python3-torch).
"""
import json
import struct
import sys
import zlib

import numpy as np

DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"), "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}
MAX_HEADER = 100_000_000
CRC_PATTERN = b'"seqlearn.crc32":"'


class ModelFileError(Exception):
    """A file that is not a valid safetensors / seqlearn model file."""


def read_safetensors(path, verify_checksum=True):
    """Return (tensors: name -> numpy array, metadata: dict, checksum: "ok" | "absent",
    dtypes: name -> safetensors dtype name)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ModelFileError("truncated: no header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER or 8 + n > len(blob):
        raise ModelFileError(f"bad header length {n}")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise ModelFileError("the header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + n:]
    spans = []
    tensors = {}
    dtypes = {}
    for name, info in header.items():
        if info["dtype"] == "BF16":
            dt = None
            size = 2
        elif info["dtype"] in DTYPES:
            dt = DTYPES[info["dtype"]]
            size = dt.itemsize
        else:
            raise ModelFileError(f"{name}: unknown dtype {info['dtype']}")
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(x) for x in info["data_offsets"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * size or begin < 0 or end > len(data):
            raise ModelFileError(f"{name}: shape {shape} does not match offsets [{begin}, {end})")
        spans.append((begin, end, name))
        raw = bytes(data[begin:end])
        if dt is None:  # BF16: the top half of an f32
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=dt).copy()
        tensors[name] = arr.reshape(shape)
        dtypes[name] = info["dtype"]
    at = 0
    for begin, end, name in sorted(spans):
        if begin != at:
            raise ModelFileError(f"{name}: tensors are not contiguous at byte {begin}")
        at = end
    if at != len(data):
        raise ModelFileError(f"{len(data) - at} bytes after the last tensor")
    checksum = "absent"
    if "seqlearn.crc32" in metadata and verify_checksum:
        pos = blob.find(CRC_PATTERN, 8, 8 + n)
        if pos < 0:
            raise ModelFileError("cannot locate seqlearn.crc32 in the header")
        at = pos + len(CRC_PATTERN)
        crc = zlib.crc32(blob[:at] + b"00000000" + blob[at + 8:]) & 0xFFFFFFFF
        if f"{crc:08x}" != metadata["seqlearn.crc32"]:
            raise ModelFileError("CRC-32 mismatch: the file is corrupted")
        checksum = "ok"
    return tensors, metadata, checksum, dtypes


def cross_check(path, tensors):
    """If the `safetensors` package is installed, compare its reading with ours."""
    try:
        from safetensors.numpy import load_file  # optional
    except ImportError:
        return None
    theirs = load_file(path)
    for name, arr in tensors.items():
        if not np.array_equal(theirs[name], arr):
            raise ModelFileError(f"{name}: safetensors reads different values")
    return True


def inspect(path):
    tensors, metadata, checksum, dtypes = read_safetensors(path)
    out = {
        "format": metadata.get("format"),
        "checksum": checksum,
        "config": json.loads(metadata["seqlearn.config"]) if "seqlearn.config" in metadata else None,
        "tensors": {
            name: {"dtype": dtypes[name], "shape": list(arr.shape), "sum": float(arr.astype(np.float64).sum())}
            for name, arr in tensors.items()
        },
        "safetensors_package": cross_check(path, tensors),
    }
    return out


def relative_error(a, b):
    """max |a − b| / max(max |b|, tiny): the parity measure (1e-4 in f32)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))


# PyTorch reference models, one per seqlearn model kind (config["kind"]): each takes
# (config, tensors as torch tensors) and returns a torch.nn.Module whose forward(tokens)
# gives logits [B, T, V]. The model code (assembly/nn, sdk/align/model.ts) defines the tensor
# names and layouts; its reference belongs next to it here.
MODEL_BUILDERS = {}


def parity(model_dir, case_path, rtol=1e-4):
    try:
        import torch  # optional: Debian python3-torch
    except ImportError:
        print("torch_parity: PyTorch is not installed (python3-torch); skipping", file=sys.stderr)
        return {"skipped": "no torch"}
    torch.set_num_threads(1)
    tensors, metadata, _, _ = read_safetensors(f"{model_dir}/model.safetensors")
    config = json.loads(metadata["seqlearn.config"])
    kind = config.get("kind")
    if kind not in MODEL_BUILDERS:
        raise SystemExit(f"torch_parity: no PyTorch reference for model kind {kind!r} (add one to MODEL_BUILDERS)")
    with open(case_path) as f:
        case = json.load(f)
    model = MODEL_BUILDERS[kind](config, {k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    tokens = torch.tensor(case["inputs"], dtype=torch.long).reshape(case["rows"], case["cols"])
    logits = model(tokens)
    report = {"logits": relative_error(logits.detach().numpy(), np.asarray(case["logits"]).reshape(logits.shape))}
    if "dlogits" in case:
        logits.backward(torch.tensor(case["dlogits"], dtype=logits.dtype).reshape(logits.shape))
        for name, p in model.named_parameters():
            if name in case.get("grads", {}):
                report[f"grad/{name}"] = relative_error(p.grad.numpy(), np.asarray(case["grads"][name]).reshape(p.shape))
    report["ok"] = all(v <= rtol for k, v in report.items() if k != "ok")
    return report


def main(argv):
    if len(argv) == 2 and argv[0] == "--inspect":
        print(json.dumps(inspect(argv[1])))
        return 0
    if len(argv) == 3 and argv[0] == "--parity":
        print(json.dumps(parity(argv[1], argv[2])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
