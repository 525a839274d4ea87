"""A model's weights moved beside its graph give the same outputs, crash-safely."""

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from index.embedders import onnxfile


def _model(path):
    w = np.random.default_rng(0).standard_normal((256, 64)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 64])],
        [numpy_helper.from_array(w, "w")])
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                      ir_version=9),
                    str(path))


def _run(path):
    x = np.arange(512, dtype=np.float32).reshape(2, 256) / 512
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"x": x})[0]


def test_weights_move_beside_the_graph_with_the_same_outputs(tmp_path, monkeypatch):
    monkeypatch.setattr(onnxfile, "LARGE", 1024)  # the test model is 64 KB
    path = tmp_path / "m.onnx"
    _model(path)
    want, size = _run(path), path.stat().st_size
    assert onnxfile.mapped(path) == path
    assert path.stat().st_size < size // 10 and (tmp_path / "m.onnx.data").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.onnx.data"]
    np.testing.assert_array_equal(_run(path), want)
    assert onnxfile.mapped(path) == path  # already mapped: left alone
    np.testing.assert_array_equal(_run(path), want)


def test_a_cache_that_cannot_take_the_data_keeps_the_single_file(tmp_path, monkeypatch):
    monkeypatch.setattr(onnxfile, "LARGE", 1024)
    path = tmp_path / "m.onnx"
    _model(path)
    want, size = _run(path), path.stat().st_size
    (tmp_path / "m.onnx.data").mkdir()  # the data file cannot be put in place
    assert onnxfile.mapped(path) == path
    assert path.stat().st_size == size  # the model is untouched, nothing half-written left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.onnx.data"]
    np.testing.assert_array_equal(_run(path), want)
