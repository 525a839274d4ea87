"""multilingual-e5-small on the fastest correct backend of this CPU, with sentence vectors
pooled from the passage pass.

Three backends run the same weights (the folder ``e5build.ensure_e5`` makes): ``torch``
(fp32), ``onnx`` (onnxruntime fp32) and ``int8`` (onnxruntime, int8 MatMul weights per output
channel, activations quantised at run time). Which is fastest depends on the CPU: int8 pays
most where VNNI kernels run, much less on AVX2 alone. ``choose_backend`` times the three
once per CPU on a fixed sample and records the choice, the rates and the CPU's features in
``<model folder>/backend.json``; a cache folder seen by another CPU is timed again. Where
torch sees a CUDA GPU, ``cuda`` (torch fp32 on the GPU) is timed too and its name recorded,
so `index` on a GPU box embeds there when it is the fastest.

Sentence vectors ("late chunking"): one pass over a passage gives every token's state; a
sentence's vector is the mean of the states of its own tokens, so the sentence channel costs
no second encoding pass.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from .e5build import NAME, SAMPLE, default_cache, quiet_transformers

BACKENDS = ("torch", "onnx", "int8")  # on any CPU; "cuda" too where a GPU is seen
CHOICE_VERSION = 2  # of the timing recipe; bump to time every CPU again
INT8_MARGIN = 1.15  # int8 is chosen only when this much faster than the best fp32 backend
INT8_MIN_COSINE = 0.99  # ... and its vectors agree with fp32 at least this well
BATCH = 4  # sorted by length; small batches are fastest on 2 cores (22.7 passages/s vs 15.7 at 32)
MAX_TOKENS = 512

# The FFN down-projections of these layers stay fp32 in the int8 model: quantising them costs
# the most accuracy (per-layer sensitivity, cosine to fp32 on 400 XQuAD chunks: layer 4 alone
# moves the mean from 0.9966 to 0.9983), and keeping three of 96 MatMuls in fp32 costs ~5 %.
INT8_FP32_LAYERS = (0, 4, 5)
ONNX_FILES = {"onnx": "e5_fp32_v3.onnx", "int8": "e5_int8_v3.onnx"}  # bump on recipe change

Say = Callable[[str], None]


def say_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the CPU ------------------------------------------------------------------------------
FEATURES = ("AVX2", "FMA3", "AVX512F", "AVX512BW", "AVX512VNNI", "AVX512BF16", "AVX512FP16")


def cpu_model() -> str:
    """The CPU's name with its family and model numbers (a VM's name is often generic)."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if not key.strip():
                    break
                info.setdefault(key.strip(), " ".join(value.split()))
    except OSError:
        pass
    if "model name" in info:
        return (f"{info['model name']} (family {info.get('cpu family', '?')}, model "
                f"{info.get('model', '?')})")
    import platform

    return platform.processor() or platform.machine()


def cpu_features() -> list[str]:
    """The SIMD features that CPUID reports (numpy's reading): what the kernels of numpy,
    torch and onnxruntime dispatch on."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as have
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as have
    return [f for f in FEATURES if have.get(f)]


@lru_cache(maxsize=1)
def gpu_name() -> str | None:
    """The CUDA GPU torch sees (the first), or None. Without an NVIDIA driver loaded torch is
    not even imported (2 s on every cold start that the onnx backends never pay)."""
    if not Path("/proc/driver/nvidia/gpus").is_dir():
        return None
    try:
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001 - a broken driver is no GPU
        return None


def available_backends() -> tuple[str, ...]:
    return BACKENDS + (("cuda",) if gpu_name() else ())


def signature(threads: int) -> dict:
    from importlib.metadata import version

    gpu = gpu_name()  # a machine with a GPU is timed again, one without keeps its records
    return {"cpu": cpu_model(), "features": cpu_features(), "threads": threads,
            "onnxruntime": version("onnxruntime"), "torch": version("torch"),
            **({"gpu": gpu} if gpu else {}), "recipe": CHOICE_VERSION}


RECORDS_KEPT = 8  # CPUs remembered per model folder (a cache shared by several machines)


def _records(folder: Path) -> list[dict]:
    try:
        data = json.loads((folder / "backend.json").read_text())
    except (OSError, ValueError):
        return []
    records = data.get("records") if isinstance(data, dict) else None
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


def recorded_choice(folder: Path, threads: int) -> dict | None:
    """The backend record of this CPU in ``folder``, or None if it was not timed here."""
    sig = signature(threads)
    return next((r for r in _records(folder) if r.get("signature") == sig), None)


# -- backends: token ids -> token states --------------------------------------------------
class TorchStates:
    def __init__(self, folder: Path, threads: int, device: str = "cpu"):
        import torch
        from transformers import AutoModel


        torch.set_num_threads(threads)
        quiet_transformers()
        self.torch, self.device = torch, device
        self.model = AutoModel.from_pretrained(str(folder)).eval().to(device)

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            out = self.model(input_ids=self.torch.from_numpy(ids).to(self.device),
                             attention_mask=self.torch.from_numpy(mask).to(self.device))
        return out.last_hidden_state.float().cpu().numpy()


class OnnxStates:
    def __init__(self, path: Path, threads: int):
        from .onnxfile import session

        self.session = session(path, threads)

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def make_states(folder: Path, backend: str, threads: int, say: Say | None = None):
    if backend in ("torch", "cuda"):
        return TorchStates(folder, threads, "cuda" if backend == "cuda" else "cpu")
    if backend in ONNX_FILES:
        return OnnxStates(ensure_onnx(folder, backend, say), threads)
    raise ValueError(f"unknown e5 backend {backend!r}: one of {', '.join(available_backends())}")


# -- the encoder --------------------------------------------------------------------------
class E5Encoder:
    """Texts -> mean-pooled, normalised vectors; optionally with the vectors of character
    spans of each text pooled from the same pass."""

    def __init__(self, folder: Path, backend: str, threads: int = 2, say: Say | None = None):
        from tokenizers import Tokenizer

        self.backend = backend
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.enable_truncation(max_length=MAX_TOKENS)
        self.tok.no_padding()
        self.pad = self.tok.token_to_id("<pad>")
        self.states = make_states(folder, backend, threads, say)

    def _passes(self, encs):
        """(indices, token states) per batch of texts of similar length."""
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        for b in range(0, len(order), BATCH):
            idx = order[b:b + BATCH]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.full((len(idx), width), self.pad, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1
            yield idx, self.states(ids, mask)

    def encode(self, texts: list[str], prompt: str) -> np.ndarray:
        return self.encode_spans(texts, [[] for _ in texts], prompt)[0]

    def encode_spans(self, texts: list[str], spans: list[list[tuple[int, int]]], prompt: str
                     ) -> tuple[np.ndarray, np.ndarray]:
        """(one vector per text, one vector per span in order). A span's vector is the mean
        of the states of the tokens that start inside it; a span past the truncation point
        is encoded on its own."""
        encs = self.tok.encode_batch([prompt + t for t in texts])
        out = np.zeros((len(texts), 0), np.float32)
        first = np.cumsum([0] + [len(s) for s in spans])
        span_out = np.zeros((0, 0), np.float32)
        alone: list[int] = []  # spans with no token in their passage's pass
        for idx, h in self._passes(encs):
            if not out.shape[1]:
                out = np.zeros((len(texts), h.shape[2]), np.float32)
                span_out = np.zeros((int(first[-1]), h.shape[2]), np.float32)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                out[i] = h[row, :n].mean(0)
                if not spans[i]:
                    continue
                starts = np.array([s for s, _ in encs[i].offsets], dtype=np.int64) - len(prompt)
                starts[np.array(encs[i].special_tokens_mask, dtype=bool)] = -1
                for j, (s, e) in enumerate(spans[i]):
                    inside = (starts >= s) & (starts < e)
                    if inside.any():
                        span_out[first[i] + j] = h[row, :n][inside].mean(0)
                    else:
                        alone.append(int(first[i] + j))
        if alone:
            flat = [texts[i][s:e] for i, ss in enumerate(spans) for s, e in ss]
            span_out[alone] = self.encode([flat[k] for k in alone], prompt)
        return _normalise(out), _normalise(span_out)


def _normalise(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


# -- choosing the backend -----------------------------------------------------------------
def timing_sample(n: int = 24) -> list[str]:
    """n multilingual passages of 3 to 14 sentences (about 50 to 250 tokens, as chunks are):
    lengths must vary, since a sample of one length let torch, which reuses its kernels per
    shape, win on the AVX2 path while on real chunks int8 was 1.7x faster."""
    parts = [s.split(": ", 1)[1] for s in SAMPLE]
    return [" ".join(parts[(i + j) % len(parts)] for j in range(3 + (i * 5) % 12))
            for i in range(n)]


def time_backends(folder: Path, threads: int, say: Say) -> tuple[dict[str, float], float]:
    """(passages/s of each backend on the timing sample, the lowest cosine between int8 and
    torch fp32 vectors of the sample)."""
    sample = timing_sample()
    rates, vectors = {}, {}
    for backend in available_backends():
        enc = E5Encoder(folder, backend, threads, say)
        t0 = time.perf_counter()
        where = f"the GPU {gpu_name()}" if backend == "cuda" else "this CPU"
        say(f"model: timing the {backend} backend on {where}")
        enc.encode(sample, "passage: ")  # warm-up: every shape once
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            vectors[backend] = enc.encode(sample, "passage: ")
            best = min(best, time.perf_counter() - t)
        rates[backend] = round(len(sample) / best, 2)
        del enc
        say(f"model:   {backend}: {rates[backend]:.1f} passages/s "
            f"({time.perf_counter() - t0:.1f} s)")
    return rates, float(np.min(np.sum(vectors["int8"] * vectors["torch"], axis=1)))


def pick(rates: dict[str, float], int8_cosine: float) -> str:
    """int8 where it is clearly faster than fp32 and agrees with it; else the faster fp32
    (the GPU's, where it was timed: the same fp32 weights)."""
    fp32 = max((b for b in ("torch", "onnx", "cuda") if b in rates), key=rates.__getitem__)
    wins = rates["int8"] >= INT8_MARGIN * rates[fp32] and int8_cosine >= INT8_MIN_COSINE
    return "int8" if wins else fp32


def choose_backend(folder: Path, threads: int, say: Say | None = None) -> dict:
    """The backend record for this CPU: timed once (10-40 s) and kept in ``backend.json``
    with the records of other CPUs that share the folder."""
    record = recorded_choice(folder, threads)
    if record is not None:
        return record
    rates, agreement = time_backends(folder, threads, say or (lambda _m: None))
    record = {"choice": pick(rates, agreement), "rates": rates,
              "int8_cosine_to_fp32_min": round(agreement, 5),
              "rule": f"int8 when >= {INT8_MARGIN}x the fastest fp32 backend and its cosine "
                      f"to fp32 >= {INT8_MIN_COSINE}; else the fastest fp32 backend",
              "measured": time.strftime("%Y-%m-%d %H:%M:%S"), "signature": signature(threads)}
    keep_record(folder, record)
    return record


def keep_record(folder: Path, record: dict) -> None:
    """Put ``record`` (a CPU's backend choice) first in ``folder``/backend.json, in place of
    that CPU's older one, beside the records of other CPUs."""
    others = [r for r in _records(folder) if r.get("signature") != record["signature"]]
    _write_json(folder / "backend.json", {"records": [record, *others][:RECORDS_KEPT]})


def backend_line(threads: int, cache: Path | None = None) -> str:
    """One line for ``config``: the backend, the CPU it was timed on and the rates; reads
    the record only (nothing is built or timed)."""
    record = recorded_choice((cache or default_cache()) / NAME, threads)
    if record is None:
        sig = signature(threads)
        return (f"not timed yet ({sig['cpu']}; {' '.join(sig['features'])}): timed once on "
                "first use")
    sig = record["signature"]
    rates = ", ".join(f"{k} {v:.1f}" for k, v in record["rates"].items())
    gpu = f"; GPU {sig['gpu']}" if sig.get("gpu") else ""
    return (f"{record['choice']} (timed {record['measured']} on {sig['cpu']}; CPU features "
            f"{' '.join(sig['features'])}{gpu}; passages/s {rates})")


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


# -- ONNX export --------------------------------------------------------------------------
def ensure_onnx(folder: Path, backend: str, say: Say | None = None) -> Path:
    """The fp32 ONNX model of the token states or its int8 twin, made on first use.

    int8: dynamic quantisation of the MatMul weights per output channel, except the FFN
    down-projections of ``INT8_FP32_LAYERS``; embeddings stay fp32. Weights use 7 bits
    (``reduce_range``): a u8 x s7 pair sums within 16 bits, so the AVX2 kernels (which add
    pairs of products in 16 bits, saturating) compute the same integers as the VNNI ones.
    With 8-bit weights the AVX2 path drifted to cosine .989 from fp32 (VNNI .997).
    (sentence-transformers' own ``backend="onnx"`` needs optimum-onnx, which pins
    transformers < 4.58, so it cannot be installed beside transformers 5: the export uses
    torch.onnx and onnxruntime directly.)"""
    say = say or (lambda _m: None)
    out = folder / "onnx"
    fp32 = out / ONNX_FILES["onnx"]
    target = out / ONNX_FILES[backend]
    if target.exists():
        return target
    out.mkdir(exist_ok=True)
    for old in out.glob("*.onnx"):  # earlier recipes
        if old.name not in ONNX_FILES.values():
            old.unlink()
    if not fp32.exists():
        t0 = time.perf_counter()
        say("model: exporting to ONNX (fp32)")
        _export_onnx(folder, fp32)
        say(f"model:   done in {time.perf_counter() - t0:.1f} s")
    if backend == "int8":
        t0 = time.perf_counter()
        say("model: quantising the ONNX model to int8")
        _quantise(fp32, target)
        say(f"model:   done in {time.perf_counter() - t0:.1f} s")
    return target


def _quantise(fp32: Path, target: Path) -> None:
    from .onnxfile import quantise

    quantise(fp32, target, exclude=[f"/m/encoder/layer.{i}/output/dense/MatMul"
                                    for i in INT8_FP32_LAYERS])


def _export_onnx(folder: Path, path: Path) -> None:
    import torch
    from transformers import AutoModel

    from .onnxfile import export

    quiet_transformers()
    # Eager attention exports as plain MatMul/Softmax, which onnxruntime runs 1.4x faster
    # than the graph of the SDPA default (16.4 vs 11.2 passages/s here).
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()

    class States(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    export(States(model), path, ["states"])
