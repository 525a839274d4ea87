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
