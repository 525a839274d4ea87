"""XQuAD as span-reader data: tokenised questions and paragraphs, gold token spans, and the
(question, paragraph) pairs the reader trains, calibrates and is tested on.

Splits, as the project requires: train on XQuAD articles 24-43, calibrate the no-answer
threshold and the confidence on articles 44-47 (held out of training), test on articles 0-23.
A pair is (question, question language, paragraph, paragraph language, first, last token of
the gold answer in that paragraph, or -1, -1 when the paragraph does not hold it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LANGS = ("en", "de", "es", "ru", "tr")
SPLITS = {"train": range(24, 44), "calibrate": range(44, 48), "test": range(0, 24)}


@dataclass
class Question:
    qid: str
    article: int
    para: int  # global paragraph index
    text: dict[str, str]  # lang -> question
    answer: dict[str, tuple[str, int]]  # lang -> (answer text, its character start)


class ReaderData:
    """Every XQuAD question and paragraph in the five languages, tokenised once."""

    def __init__(self, xquad: Path, tokenizer):
        data = {lang: json.loads((xquad / f"xquad.{lang}.json").read_text(encoding="utf-8"))
                ["data"] for lang in LANGS}
        self.article_of: list[int] = []
        self.context: dict[str, list[str]] = {lang: [] for lang in LANGS}
        self.questions: list[Question] = []
        for a, art in enumerate(data["en"]):
            for j, para in enumerate(art["paragraphs"]):
                g = len(self.article_of)
                self.article_of.append(a)
                for lang in LANGS:
                    self.context[lang].append(data[lang][a]["paragraphs"][j]["context"])
                by_id = {lang: {qa["id"]: qa for qa in data[lang][a]["paragraphs"][j]["qas"]}
                         for lang in LANGS}
                for qa in para["qas"]:
                    q = {lang: by_id[lang][qa["id"]] for lang in LANGS}
                    first = {lang: q[lang]["answers"][0] for lang in LANGS}
                    self.questions.append(Question(
                        qa["id"], a, g, {lang: q[lang]["question"] for lang in LANGS},
                        {lang: (first[lang]["text"], first[lang]["answer_start"])
                         for lang in LANGS}))
        self.tok = tokenizer
        self.q_ids = {(i, lang): tokenizer.encode(q.text[lang], add_special_tokens=False).ids
                      for i, q in enumerate(self.questions) for lang in LANGS}
        self.p_ids, self.p_offsets = {}, {}
        for lang in LANGS:
            encs = tokenizer.encode_batch(self.context[lang], add_special_tokens=False)
            for p, enc in enumerate(encs):
                self.p_ids[p, lang] = enc.ids
                self.p_offsets[p, lang] = trim_offsets(self.context[lang][p], enc.offsets)
        self.span = {}
        for i, q in enumerate(self.questions):
            for lang in LANGS:
                s = self.gold_span(q.para, lang, *q.answer[lang])
                if s is not None:
                    self.span[i, lang] = s

    def gold_span(self, p: int, lang: str, text: str, start: int) -> tuple[int, int] | None:
        """The first and last token of the answer at ``start`` in paragraph ``p``."""
        if self.context[lang][p][start:start + len(text)] != text:
            return None
        end = start + len(text)
        toks = [k for k, (a, b) in enumerate(self.p_offsets[p, lang]) if b > start and a < end]
        return (toks[0], toks[-1]) if toks else None

    def split(self, name: str) -> list[int]:
        return [i for i, q in enumerate(self.questions) if q.article in SPLITS[name]]

    def paragraphs_of(self, p: int) -> list[int]:
        return [x for x, a in enumerate(self.article_of) if a == self.article_of[p]]

    def holds(self, p: int, lang: str, i: int) -> bool:
        return self.questions[i].answer[lang][0].casefold() in self.context[lang][p].casefold()

    def other_paragraph(self, i: int, lang: str, rng: np.random.Generator) -> int:
        """Another paragraph of the question's article that does not hold its answer."""
        own = self.questions[i].para
        others = [p for p in self.paragraphs_of(own) if p != own and not self.holds(p, lang, i)]
        return int(rng.choice(others or [p for p in self.paragraphs_of(own) if p != own]))


def trim_offsets(text: str, offsets) -> list[tuple[int, int]]:
    """SentencePiece offsets include the leading space: trim it."""
    out = []
    for a, b in offsets:
        while a < b and text[a].isspace():
            a += 1
        out.append((a, b))
    return out


def train_pairs(d: ReaderData, combos: int, negatives: float, seed: int) -> np.ndarray:
    """Answerable pairs of the train split: for each question ``combos`` of the 25 (question
    language, paragraph language) pairs (all when 25), drawn so every combination is used
    about equally; plus ``negatives`` no-answer pairs per answerable one (the question against
    another paragraph of its article, in a random language)."""
    rng = np.random.default_rng(seed)
    grid = [(a, b) for a in LANGS for b in LANGS]
    pos = []
    for n, i in enumerate(d.split("train")):
        pick = grid if combos >= len(grid) else [grid[(n * combos + k) % len(grid)]
                                                  for k in range(combos)]
        for a, b in pick:
            if (i, b) in d.span:
                pos.append((i, LANGS.index(a), d.questions[i].para, LANGS.index(b),
                            *d.span[i, b]))
    neg = []
    for n in rng.choice(len(pos), int(len(pos) * negatives), replace=False):
        i, a = pos[n][0], pos[n][1]
        lang = LANGS[int(rng.integers(len(LANGS)))]
        p = d.other_paragraph(i, lang, rng)
        if not d.holds(p, lang, i):
            neg.append((i, a, p, LANGS.index(lang), -1, -1))
    return np.array(pos + neg, dtype=np.int64)


def eval_pairs(d: ReaderData, split: str, q_langs, p_langs, seed: int, every: int = 1
               ) -> np.ndarray:
    """For each question of ``split`` (every ``every``-th), in each question and paragraph
    language: its own paragraph (answerable) and one other paragraph of its article (a hard
    negative)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in d.split(split)[::every]:
        for b in p_langs:
            other = d.other_paragraph(i, b, rng)
            for a in q_langs:
                if (i, b) in d.span:
                    out.append((i, LANGS.index(a), d.questions[i].para, LANGS.index(b),
                                *d.span[i, b]))
                out.append((i, LANGS.index(a), other, LANGS.index(b), -1, -1))
    return np.array(out, dtype=np.int64)
