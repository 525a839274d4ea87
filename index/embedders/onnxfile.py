"""ONNX models whose weights onnxruntime maps from disk instead of copying into memory.

A model in one file is parsed and copied whole: e5-small's int8 file holds its 384 MB fp32
embedding table, so a session cost 420 MB of the process's own memory and 0.9 s to open.
With the weights in an external ``.data`` file beside the graph, onnxruntime maps them:
the session opens in 0.2 s and the table's pages are the file's, shared by every process
that runs the model (``serve``, a command, the tests) and given back under memory pressure.
The vectors are the same to the bit.
"""

from __future__ import annotations

import os
from pathlib import Path

LARGE = 64 << 20  # a model file this large holds its weights inside


def mapped(path: Path) -> Path:
    """``path``, its weights moved to ``<name>.data`` beside it first if they are inside.

    Crash-safe: the data file is written and renamed before the graph that points to it
    replaces the model; until then the old single file is whole and still used."""
    if path.stat().st_size < LARGE:
        return path
    import onnx

    model = onnx.load(str(path))
    data = path.with_name(path.name + ".data")
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp_data = tmp.with_name(tmp.name + ".data")
    try:
        onnx.save_model(model, str(tmp), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=tmp_data.name, size_threshold=1024)
        del model
        # the graph names its data file: write it again pointing at the final name
        graph = onnx.load(str(tmp), load_external_data=False)
        for tensor in _external(graph):
            for entry in tensor.external_data:
                if entry.key == "location":
                    entry.value = data.name
        onnx.save_model(graph, str(tmp), save_as_external_data=False)
        os.replace(tmp_data, data)
        os.replace(tmp, path)
    except OSError:
        return path  # a read-only cache: the single file still works
    finally:
        for p in (tmp, tmp_data):
            p.unlink(missing_ok=True)
    return path


def _external(graph):
    from onnx.external_data_helper import uses_external_data

    for tensor in graph.graph.initializer:
        if uses_external_data(tensor):
            yield tensor


def session(path: Path, threads: int):
    """An onnxruntime CPU session of ``path`` (its weights mapped), ``threads`` intra-op."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(mapped(path)), opts, providers=["CPUExecutionProvider"])


def export(module, path: Path, outputs: list[str]) -> None:
    """A torch module of (input_ids, attention_mask) exported to ``path`` (opset 17, batch
    and tokens dynamic), written to a temporary file and renamed into place."""
    import warnings

    import torch

    ids = torch.ones(2, 16, dtype=torch.long)
    tmp = path.with_suffix(".tmp.onnx")
    names = ["input_ids", "attention_mask", *outputs]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes, not problems here
        torch.onnx.export(module, (ids, torch.ones_like(ids)), str(tmp), dynamo=False,
                          input_names=names[:2], output_names=outputs,
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names},
                          opset_version=17)
    os.replace(tmp, path)


def quantise(fp32: Path, target: Path, exclude: list[str] = ()) -> None:
    """int8 MatMul weights per output channel in 7 bits (``reduce_range``: a u8 x s7 pair
    sums within 16 bits, so AVX2 and VNNI kernels compute the same integers), but for the
    nodes named in ``exclude``."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_suffix(".tmp.onnx")
    # The quantiser calls logging.warning() (pre-processing advice), which would install a
    # root handler for the rest of the process; a NullHandler keeps logging untouched.
    root, quiet = logging.getLogger(), logging.NullHandler()
    root.addHandler(quiet)
    try:
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True, op_types_to_quantize=["MatMul"],
                         nodes_to_exclude=list(exclude))
    finally:
        root.removeHandler(quiet)
    os.replace(tmp, target)
