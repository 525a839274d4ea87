"""The span reader at answer time: question + passages -> scored answer spans, or none.

Loaded once per process (``Assistant.reader``, shared by the page, the API and the CLI). The
network (``reader_net``) runs on the fastest correct backend of the CPU, chosen as the e5
embedder's is: torch fp32, onnxruntime fp32, or onnxruntime with int8 MatMul weights, timed
once per CPU on a fixed sample and recorded in ``<cache>/reader/backend.json``; int8 is used
only where it is clearly faster and picks the same spans as fp32 on that sample.

``read`` gives, per passage, its no-answer score (the lowest over its windows) and its best
spans with character offsets into the passage; a span's margin is its score minus its
passage's no-answer score, which is what the calibration (``reader_calibration.json``, fitted
by ``python -m benchmarks.calibrate_reader``) turns into a refusal line and a probability.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import reader_net as rn

CALIBRATION = Path(__file__).with_name("reader_calibration.json")
BACKENDS = ("torch", "onnx", "int8")
INT8_MARGIN = 1.15  # int8 only when this much faster than the faster fp32 backend
SAMPLE_Q = ("Who led the delegation?", "Кто возглавлял делегацию?", "Wann fand das Treffen statt?")


@dataclass(frozen=True)
class Span:
    passage: int  # index into the passages read
    start: int  # character offsets into that passage's text
    end: int
    score: float  # start + end logit
    margin: float  # score - the passage's no-answer score


@dataclass(frozen=True)
class Calibration:
    threshold: float  # refuse when the best margin is below this
    a: float  # P(right) = 1 / (1 + exp(-(a * margin + b)))
    b: float
    rank_penalty: float = 0.0  # the best span: the highest margin - rank_penalty * its rank

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> Calibration:
        d = json.loads(path.read_text(encoding="utf-8"))
        return cls(float(d["threshold"]), float(d["a"]), float(d["b"]),
                   float(d.get("rank_penalty", 0.0)))

    def probability(self, margin: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.a * margin + self.b)))


class Reader:
    def __init__(self, folder: Path, threads: int = 2, backend: str | None = None,
                 weights: Path = rn.WEIGHTS):
        from tokenizers import Tokenizer

        self.folder, self.threads, self.weights = folder, threads, weights
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.no_truncation()
        self.tok.no_padding()
        self.backend = backend or self.choose()["choice"]
        self.run = self._make(self.backend)

    # -- reading ------------------------------------------------------------------------
    def read(self, question: str, passages: list[str], top: int = 3) -> list[Span]:
        """The best spans of every passage, best margin first."""
        if not passages:
            return []
        q = self.tok.encode(question, add_special_tokens=False).ids
        encs = self.tok.encode_batch(list(passages), add_special_tokens=False)
        ws = [w for n, e in enumerate(encs) for w in rn.windows(q, e.ids, n)]
        null = np.full(len(passages), np.inf)
        found: dict[tuple[int, int, int], float] = {}
        for k in range(0, len(ws), 8):
            group = ws[k:k + 8]
            start, end = self.run(*rn.batch(group))
            for row, w in enumerate(group):
                nul, spans = rn.best_spans(start[row], end[row], w, top)
                null[w.pair] = min(null[w.pair], nul)
                for score, a, b in spans:
                    key = (w.pair, a, b)
                    found[key] = max(found.get(key, -np.inf), score)
        best: dict[tuple[int, int, int], float] = {}
        for (n, a, b), score in found.items():
            s, e = whole_words(passages[n], encs[n].offsets[a][0], encs[n].offsets[b][1])
            if s < e and score > best.get((n, s, e), -np.inf):
                best[n, s, e] = score
        out = [Span(n, s, e, score, score - float(null[n])) for (n, s, e), score in best.items()]
        out.sort(key=lambda sp: -sp.margin)
        return out

    # -- backends -------------------------------------------------------------------------
    def _make(self, backend: str):
        if backend == "torch":
            import torch

            torch.set_num_threads(self.threads)
            model = self.torch_model()

            def run(ids, mask):
                with torch.inference_mode():
                    s, e = model(torch.from_numpy(ids), torch.from_numpy(mask))
                return s.numpy(), e.numpy()
            return run
        if backend not in ("onnx", "int8"):
            raise ValueError(f"unknown reader backend {backend!r}: one of {', '.join(BACKENDS)}")
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(self.onnx_file(backend)), opts,
                                       providers=["CPUExecutionProvider"])

        def run(ids, mask):
            s, e = session.run(None, {"input_ids": ids, "attention_mask": mask})
            return s, e
        return run

    def torch_model(self):
        model = rn.network(self.folder)
        meta = rn.apply_delta(model, self.weights)
        if meta.get("base_sha256") and meta["base_sha256"] != rn.base_sha(self.folder):
            raise ValueError(f"{self.weights} was trained on another build of e5: train the "
                             "reader again (python -m benchmarks.train_reader --ship)")
        return model.eval()

    def cache(self) -> Path:
        sha = hashlib.sha256(self.weights.read_bytes()).hexdigest()[:16]
        out = self.folder / "reader" / sha
        out.mkdir(parents=True, exist_ok=True)
        return out

    def onnx_file(self, backend: str) -> Path:
        """The reader exported to ONNX (fp32), or its int8 twin; made once per weights."""
        out = self.cache()
        fp32, int8 = out / "reader_fp32.onnx", out / "reader_int8.onnx"
        if not fp32.exists():
            export(self.torch_model(), fp32)
        if backend == "int8" and not int8.exists():
            quantise(fp32, int8)
        return int8 if backend == "int8" else fp32

    def choose(self) -> dict:
        """The backend record of this CPU: timed once and kept beside the ONNX files."""
        from index.embedders.e5engine import signature

        path = self.cache() / "backend.json"
        sig = signature(self.threads)
        try:
            records = json.loads(path.read_text())["records"]
        except (OSError, ValueError, KeyError):
            records = []
        mine = next((r for r in records if r.get("signature") == sig), None)
        if mine is not None:
            return mine
        rates, spans = {}, {}
        passages = sample_passages()
        for backend in BACKENDS:
            run = self._make(backend)
            self.run = run
            self.read(SAMPLE_Q[0], passages[:2])  # warm-up
            t = time.perf_counter()
            spans[backend] = [(s.passage, s.start, s.end) for q in SAMPLE_Q
                              for s in self.read(q, passages)[:1]]
            rates[backend] = round(len(SAMPLE_Q) / (time.perf_counter() - t), 2)
        fp32 = max(("torch", "onnx"), key=rates.__getitem__)
        agree = spans["int8"] == spans["torch"]
        choice = "int8" if agree and rates["int8"] >= INT8_MARGIN * rates[fp32] else fp32
        record = {"choice": choice, "questions_per_s": rates, "int8_same_spans": agree,
                  "measured": time.strftime("%Y-%m-%d %H:%M:%S"), "signature": sig}
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({"records": [record, *records][:8]}, indent=1))
        tmp.replace(path)
        return record


def whole_words(text: str, s: int, e: int) -> tuple[int, int]:
    """Character offsets s..e grown to whole words (a span that ends inside a word, "Jam" of
    "Jamshid", is a piece of a token; the answer is the word), leading space dropped."""
    while s < e and text[s].isspace():
        s += 1
    while s > 0 and text[s - 1].isalnum() and text[s].isalnum():
        s -= 1
    while e < len(text) and text[e].isalnum() and text[e - 1].isalnum():
        e += 1
    return s, e


def sample_passages() -> list[str]:
    from index.embedders.e5build import SAMPLE

    parts = [s.split(": ", 1)[1] for s in SAMPLE]
    return [" ".join(parts[(i + j) % len(parts)] for j in range(4 + 3 * i)) for i in range(4)]


def export(model, path: Path) -> None:
    import warnings

    import torch

    tmp = path.with_name(f".{path.name}.{os.getpid()}.onnx")
    ids = torch.ones(2, 16, dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (ids, torch.ones_like(ids)), str(tmp), dynamo=False,
            input_names=["input_ids", "attention_mask"], output_names=["start", "end"],
            dynamic_axes={n: {0: "batch", 1: "tokens"}
                          for n in ("input_ids", "attention_mask", "start", "end")},
            opset_version=17)
    from index.embedders.onnxfile import mapped

    tmp.replace(path)
    mapped(path)


def quantise(fp32: Path, target: Path) -> None:
    """int8 MatMul weights per output channel in 7 bits (the same integers on AVX2 and VNNI
    kernels, see ``e5engine.ensure_onnx``)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from index.embedders.onnxfile import mapped

    tmp = target.with_name(f".{target.name}.{os.getpid()}.onnx")
    root, quiet = logging.getLogger(), logging.NullHandler()
    root.addHandler(quiet)
    try:
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True, op_types_to_quantize=["MatMul"])
    finally:
        root.removeHandler(quiet)
    tmp.replace(target)
    mapped(target)
