"""Fit and measure the detector of text that addresses a model (``assistant.engine.addressed``).

    python -m benchmarks.fit_addressed [--xquad ../shared/benchmarks/xquad] [--write | --final]

Fit, on what the project allows: the exemplars written in en/ru/de/tr
(``benchmarks/data/addressed_fit.jsonl`` and ``addressed_fit_more.jsonl``: 186 notes to a
model, and 162 news sentences about AI, chatbots, quoting raw code or with orders to people
that are not),
each also set inside two sentences of an XQuAD 24-47 paragraph of its language (a note sits
in an article; the index pools a sentence's vector from its passage), and every sentence of
the en/ru/de/tr paragraphs of XQuAD articles 24-47.
Two ridge logistic models over e5 vectors: a pre-screen on the vectors the index stores
(pooled from the passage), its line set by 5-fold cross-validation to pass on the 30 % of
the ordinary sentences most like a note (a sentence costs 10 ms to encode alone), and the
judge on the sentence encoded alone, its line at 0.4 % false alarms on the fit sentences
(cross-validated), and a lower "suspect" line at 5 % (a claim only a suspect sentence makes
is disputed by a weaker rival: ``read_answer.disagreement``).

Measured on what it never saw: the planted notes of ``eval/testsets/planted/`` (109 notes in
en/ru/de/tr/az/es, wordings not used to fit; az and es not fitted at all; ``fresh.jsonl``
written after ``notes.jsonl`` had been measured once, ``third.jsonl`` after ``fresh.jsonl``,
``fourth.jsonl`` after every change of that session, ``fifth.jsonl`` by a writer who saw
none of the exemplars or earlier notes), each inside its planted passage;
false alarms on every sentence of the bundled corpus and of XQuAD articles 0-23 in
en/ru/de/tr/es, and on ``addressed_news_heldout.jsonl`` (36 news sentences about AI and
chatbots in six languages, written with the fifth set). Those two (``CLEAN``) are measured
only by ``--final`` or ``--write``, never while tuning. ``--write`` stores the weights and
figures in assistant/engine/addressed_model.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import bench_parser, cpu_line, load_xquad

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
# written for the fit: the first 176 exemplars, then 160 more (more ways to address a machine,
# and news about chatbots and AI rules that are not notes)
FIT = [DATA / "addressed_fit.jsonl", DATA / "addressed_fit_more.jsonl"]
# written apart and never fitted on: news sentences about AI, chatbots and rules for people
# in en/ru/de/tr/az/es, the hardest ordinary sentences for the detector
HARD_NEWS = DATA / "addressed_news_heldout.jsonl"
# in eval.planted.NOTES
PLANTED = {"planted": "notes.jsonl", "fresh": "fresh.jsonl", "third": "third.jsonl",
           "fourth": "fourth.jsonl", "fifth": "fifth.jsonl"}
CLEAN = {"fifth"}  # with HARD_NEWS: measured by --write or --final only, never while tuning
FIT_LANGS, ALL_LANGS = ["en", "ru", "de", "tr"], ["en", "ru", "de", "tr", "es"]
# the line: at most this share of the fit's ordinary sentences (0.5 % flagged a bundled
# sentence and the hacked-page article of the browser tests once the fit grew; 0.3 % found
# 2 fewer of the 85 older notes)
FALSE_ALARMS = 0.004
RIDGE = 0.3
SUSPECT = 0.05  # the share of ordinary sentences over the judge's lower (suspect) line
PRESCREEN = 0.3  # the share of ordinary sentences the first stage (stored vectors) passes on
NEWS = 10.0  # weight of a written news sentence against an XQuAD one


def jsonl(path: Path) -> list[dict]:
    from corpus.jsonl import read_jsonl

    return [obj for _, obj in read_jsonl(path, "exemplars", "one exemplar per line")]


def spans_of(text: str) -> list[tuple[int, int]]:
    from corpus.sentences import sentence_spans
    from index.chunking import MIN_SENTENCE

    return [(s, e) for s, e in sentence_spans(text) if e - s >= MIN_SENTENCE]


def passage_vectors(e5, texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """The pooled vector of every sentence of every passage, and the sentences."""
    from index.embedders import encode_with_spans

    spans = [spans_of(t) for t in texts]
    _, vecs = encode_with_spans(e5, texts, spans)
    return vecs, [t[s:e] for t, sp in zip(texts, spans, strict=True) for s, e in sp]


def in_context(e5, sentence: str, before: str, after: str) -> np.ndarray:
    """The vector of ``sentence`` pooled inside ``before sentence after``."""
    from index.embedders import encode_with_spans

    text = f"{before} {sentence} {after}".strip()
    start = len(before) + 1 if before else 0
    return encode_with_spans(e5, [text], [[(start, start + len(sentence))]])[1][0]


def first_sentences(paragraph: str, n: int) -> str:
    return " ".join(paragraph[s:e] for s, e in spans_of(paragraph)[:n])


def fit_logistic(X: np.ndarray, y: np.ndarray, weight: np.ndarray, ridge: float = RIDGE,
                 steps: int = 30) -> tuple[np.ndarray, float]:
    """Weighted ridge logistic regression by Newton's method."""
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    reg = ridge * np.eye(Xb.shape[1])
    reg[-1, -1] = 1e-6
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(Xb @ w, -30, 30)))
        grad = Xb.T @ (weight * (p - y)) + reg @ w
        hess = (Xb * (weight * p * (1 - p))[:, None]).T @ Xb + reg
        w -= np.linalg.solve(hess, grad)
    return w[:-1], float(w[-1])


def cross_validated(X, y, weight, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Each row's logit from a model fitted without its fold."""
    order = np.random.default_rng(seed).permutation(len(X))
    out = np.zeros(len(X))
    for f in range(folds):
        test = order[f::folds]
        train = np.setdiff1d(order, test)
        w, b = fit_logistic(X[train], y[train], weight[train])
        out[test] = X[test] @ w + b
    return out


def fit_data(e5, xq: dict) -> dict:
    """The exemplars (written) and the fit split's paragraph sentences, each as the index
    pools it inside a passage ("pooled": an exemplar alone and inside two sentences of a
    paragraph of its language) and encoded alone ("alone")."""
    rng = np.random.default_rng(0)
    pooled, p_y, p_wr = [], [], []
    examples = [ex for path in FIT for ex in jsonl(path)]
    for n, ex in enumerate(examples):
        paras = xq[ex["lang"]]["paragraphs"][120:240]
        for before, after in (("", ""), (first_sentences(paras[rng.integers(len(paras))], 2),
                                         ""),
                              ("", first_sentences(paras[rng.integers(len(paras))], 2))):
            pooled.append(in_context(e5, ex["text"], before, after))
        p_y += [ex["label"]] * 3
        p_wr += [True] * 3
        print(f"\rexemplars {n + 1}/{len(examples)}", end="", file=sys.stderr)
    print(file=sys.stderr)
    sentences = []
    for lang in FIT_LANGS:
        vecs, sents = passage_vectors(e5, xq[lang]["paragraphs"][120:240])
        pooled.extend(vecs)
        sentences += sents
    p_y += [0] * len(sentences)
    p_wr += [False] * len(sentences)
    alone = e5.encode_documents([ex["text"] for ex in examples] + sentences)
    a_y = [ex["label"] for ex in examples] + [0] * len(sentences)
    a_wr = [True] * len(examples) + [False] * len(sentences)
    return {"pooled": (np.stack(pooled), np.array(p_y, float), np.array(p_wr)),
            "alone": (np.asarray(alone), np.array(a_y, float), np.array(a_wr))}


def weights_of(y: np.ndarray, written: np.ndarray) -> np.ndarray:
    """The written news sentences count ``NEWS`` times (the domain the product reads, against
    2,000 encyclopaedia sentences); the notes as much as all ordinary sentences together."""
    w = np.where(written & (y == 0), NEWS, 1.0)
    return np.where(y == 1, w[y == 0].sum() / max((y == 1).sum(), 1), w)


def stage(X: np.ndarray, y: np.ndarray, written: np.ndarray, passed: float,
          suspect: float | None = None) -> tuple[np.ndarray, float, float, dict]:
    """(weights, bias, line, cross-validated figures): the line lets ``passed`` of the
    ordinary sentences through; with ``suspect``, the figures hold a lower line
    (``suspect_line``) that lets that share through."""
    weight = weights_of(y, written)
    cv = cross_validated(X, y, weight)
    ordinary = np.sort(cv[y == 0])

    def line_at(share: float) -> float:
        return float(ordinary[min(int(np.ceil(len(ordinary) * (1 - share))), len(ordinary) - 1)])

    line = line_at(passed)
    w, b = fit_logistic(X, y, weight)
    figures = {"cv_notes_found": round(float(np.mean(cv[y == 1] >= line)), 3),
               "cv_ordinary_passed": round(float(np.mean(cv[y == 0] >= line)), 4)}
    if suspect is not None:
        figures["suspect_line"] = line_at(suspect)
    return w, b, line, figures


def screen(model, e5, texts: list[str], pooled: np.ndarray) -> np.ndarray:
    """The product's rule (``AddressModel.levels``: 2 a note, 1 suspect) on sentences with
    their pooled vectors."""
    return model.levels(pooled, texts, e5.encode_documents)


def level(model, e5, sentence: str, before: str = "") -> int:
    """``screen`` of one sentence, pooled inside ``before sentence`` (a note after its
    sentence of context)."""
    return int(screen(model, e5, [sentence], in_context(e5, sentence, before, "")[None])[0])


def held_out(e5, xq: dict, model, final: bool = True) -> dict:
    """Planted notes found; false alarms on the bundled corpus and XQuAD 0-23; with
    ``final``, also on the sets kept for the last measurement (``CLEAN``)."""
    from corpus import load_corpus
    from index import chunk_article

    found = {}
    from eval.planted import NOTES, load_notes

    for name, file in PLANTED.items():
        if name in CLEAN and not final:
            continue
        notes = load_notes(NOTES / file)
        levels = [level(model, e5, n["note"], n["context"]) for n in notes]
        flags = [v == 2 for v in levels]
        by_lang: dict[str, list[bool]] = {}
        for n, f in zip(notes, flags, strict=True):
            by_lang.setdefault(n["lang"], []).append(f)
        found[name] = {"notes": len(notes), "found": round(float(np.mean(flags)), 3),
                       "by_language": {k: f"{sum(v)}/{len(v)}" for k, v in by_lang.items()},
                       "missed": [n["id"] for n, f in zip(notes, flags, strict=True) if not f],
                       "not_even_suspect": [n["id"] for n, v in zip(notes, levels, strict=True)
                                            if not v]}
    hard = jsonl(HARD_NEWS) if final else []
    hard_levels = np.array([level(model, e5, h["text"]) for h in hard])
    chunks = [c.text for a in load_corpus(ROOT / "corpus" / "articles") for c in chunk_article(a)]
    seed_vecs, seed_sents = passage_vectors(e5, chunks)
    seed_levels = screen(model, e5, seed_sents, seed_vecs)
    seed_flags = seed_levels == 2
    xq_levels = {}
    for lang in ALL_LANGS:
        vecs, sents = passage_vectors(e5, xq[lang]["paragraphs"][:120])
        xq_levels[lang] = screen(model, e5, sents, vecs)
    xq_flags = {k: v == 2 for k, v in xq_levels.items()}
    all_xq = np.concatenate(list(xq_flags.values()))
    return {
        **found,
        "hard_news_sentences": len(hard),
        "hard_news_flagged": int((hard_levels == 2).sum()),
        "hard_news_suspect": int((hard_levels >= 1).sum()),
        "seed_corpus_sentences": len(seed_sents),
        "seed_corpus_false_alarms": round(float(np.mean(seed_flags)), 4),
        "seed_corpus_flagged": [s for s, f in zip(seed_sents, seed_flags, strict=True) if f],
        "xquad_0_23_sentences": int(all_xq.size),
        "xquad_0_23_false_alarms": round(float(np.mean(all_xq)), 4),
        "xquad_0_23_false_alarms_by_language": {k: round(float(np.mean(v)), 4)
                                               for k, v in xq_flags.items()},
        "seed_corpus_suspect": round(float(np.mean(seed_levels >= 1)), 4),
        "xquad_0_23_suspect": round(float(np.mean(np.concatenate(list(xq_levels.values()))
                                                  >= 1)), 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.fit_addressed", __doc__)
    ap.add_argument("--write", action="store_true",
                    help="store the fit in assistant/engine/addressed_model.json")
    ap.add_argument("--final", action="store_true",
                    help="also measure the sets kept apart (implied by --write)")
    args = ap.parse_args(argv)
    from assistant.engine.addressed import MODEL, AddressModel
    from assistant.engine.config import load_config
    from index.embedders import load_embedder

    t0 = time.perf_counter()
    cfg = load_config(toml_path="/nonexistent", env={})
    e5 = load_embedder("e5-small", cfg.threads, cfg.cache_dir())
    xq = load_xquad(Path(args.xquad), ALL_LANGS)
    data = fit_data(e5, xq)
    w1, b1, line1, first = stage(*data["pooled"], PRESCREEN)
    w2, b2, line2, second = stage(*data["alone"], FALSE_ALARMS, SUSPECT)
    model = AddressModel(w1.astype(np.float32), b1, line1, w2.astype(np.float32), b2, line2,
                         second["suspect_line"])
    figures = {"fit_notes": int(data["alone"][1].sum()), "fit_sentences": len(data["alone"][1]),
               "prescreen_cv": first, "cv": second,
               **held_out(e5, xq, model, final=args.write or args.final)}
    result = {"fitted_by": "python -m benchmarks.fit_addressed --write", "embedder": e5.name,
              "ridge": RIDGE, "news_weight": NEWS, "prescreen": {"bias": round(b1, 5),
                                                              "threshold": round(line1, 4)},
              "bias": round(b2, 5), "threshold": round(line2, 4),
              "suspect": round(second["suspect_line"], 4), "figures": figures,
              "machine": cpu_line(), "date": time.strftime("%Y-%m-%d %H:%M"),
              "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if args.write:
        result["prescreen"]["weights"] = [round(float(v), 6) for v in w1]
        result["weights"] = [round(float(v), 6) for v in w2]
        MODEL.write_text(json.dumps(result, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written to {MODEL}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
