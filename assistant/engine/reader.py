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
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from . import reader_net as rn

CALIBRATION = Path(__file__).with_name("reader_calibration.json")
BACKENDS = ("torch", "onnx", "int8")
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
    """How margins become a decision (``read_answer``, step 3), fitted by
    ``python -m benchmarks.calibrate_reader --write`` on XQuAD articles 44-47."""

    threshold: float  # refuse when the best span's support is below this
    a: float  # P(right) = 1 / (1 + exp(-(a * pooled margin + b))): the closeness left out
    b: float
    rank_penalty: float = 0.0  # a span's margin less this per retrieval rank of its chunk
    temperature: float = 0.0  # spans naming the same answer pool at this (0: no pooling)
    retrieval_weight: float = 0.0  # support += this x the top chunk's closeness (e5 cosine)
    spans: int = 3  # spans kept per window
    passages: int = 4  # retrieved chunks read (unless the reader_passages setting says)
    closeness: float = 0.8  # the median closeness of answerable questions: used where no
    # e5-small channel returned the top chunk
    second: float = 1.0  # a further span is quoted at this x the best one's probability

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> Calibration:
        d = json.loads(path.read_text(encoding="utf-8"))
        return cls(float(d["threshold"]), float(d["a"]), float(d["b"]),
                   float(d.get("rank_penalty", 0.0)), float(d.get("temperature", 0.0)),
                   float(d.get("retrieval_weight", 0.0)), int(d.get("spans", 3)),
                   int(d.get("passages", 4)), float(d.get("closeness", 0.8)),
                   float(d.get("second", 1.0)))

    def probability(self, reading: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.a * reading + self.b)))


class Reader:
    def __init__(self, folder: Path, threads: int = 2, backend: str | None = None,
                 weights: Path = rn.WEIGHTS):
        from tokenizers import Tokenizer

        self.folder, self.threads, self.weights = folder, threads, weights
        self._torch = None
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
        null, found = rn.read_windows(self.run, ws, len(passages), top)
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
        from index.embedders.onnxfile import session

        onnx = session(self.onnx_file(backend), self.threads)

        def run(ids, mask):
            s, e = onnx.run(None, {"input_ids": ids, "attention_mask": mask})
            return s, e
        return run

    def torch_model(self):
        """The torch network with the shipped delta applied; loaded once while a backend
        needs it (timing the backends and exporting ONNX share one)."""
        if getattr(self, "_torch", None) is None:
            self._torch = self._load_torch()
        return self._torch

    def _load_torch(self):
        model = rn.network(self.folder)
        meta = rn.apply_delta(model, self.weights)
        if meta.get("base_sha256") and meta["base_sha256"] != rn.base_sha(self.folder):
            raise ValueError(f"{self.weights} was trained on another build of e5: train the "
                             "reader again (python -m benchmarks.train_reader --ship)")
        return model.eval()

    @cached_property
    def _cache(self) -> Path:
        sha = hashlib.sha256(self.weights.read_bytes()).hexdigest()[:16]  # once: 21 MB
        out = self.folder / "reader" / sha
        out.mkdir(parents=True, exist_ok=True)
        return out

    def cache(self) -> Path:
        """The folder of this weights file's ONNX models and backend records."""
        return self._cache

    def onnx_file(self, backend: str) -> Path:
        """The reader exported to ONNX (fp32), or its int8 twin; made once per weights."""
        from index.embedders.onnxfile import export, mapped, quantise

        out = self.cache()
        fp32, int8 = out / "reader_fp32.onnx", out / "reader_int8.onnx"
        if not fp32.exists():
            export(self.torch_model(), fp32, ["start", "end"])
            mapped(fp32)
        if backend == "int8" and not int8.exists():
            quantise(fp32, int8)
            mapped(int8)
        return int8 if backend == "int8" else fp32

    def choose(self) -> dict:
        """The backend record of this CPU: timed once and kept beside the ONNX files, by the
        e5 embedder's rule (int8 only where it is clearly faster and agrees with fp32; here,
        picks the same spans on the timing sample)."""
        from index.embedders.e5engine import keep_record, pick, recorded_choice, signature

        record = recorded_choice(self.cache(), self.threads)
        if record is not None:
            return record
        rates, spans = {}, {}
        passages = timing_sample(4)
        for backend in BACKENDS:
            self.run = self._make(backend)
            self.read(SAMPLE_Q[0], passages[:2])  # warm-up
            t = time.perf_counter()
            spans[backend] = [(s.passage, s.start, s.end) for q in SAMPLE_Q
                              for s in self.read(q, passages)[:1]]
            rates[backend] = round(len(SAMPLE_Q) / (time.perf_counter() - t), 2)
        agree = spans["int8"] == spans["torch"]
        record = {"choice": pick(rates, 1.0 if agree else 0.0), "questions_per_s": rates,
                  "int8_same_spans": agree, "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
                  "signature": signature(self.threads)}
        keep_record(self.cache(), record)
        if record["choice"] != "torch":
            self._torch = None  # 470 MB the ONNX backends do not need
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


def timing_sample(n: int) -> list[str]:
    from index.embedders.e5engine import timing_sample

    return timing_sample(n)
