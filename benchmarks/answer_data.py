"""XQuAD as answer-choice data, through the product's own index, retrieval and features.

The en/ru/de paragraphs are indexed as articles (``benchmarks.xquad.index_xquad``). Every
question, in each of en/ru/de/tr/es, is asked against the paragraphs of the other languages
twice: as it is (its paragraph is there: the answer should be found) and as a hard negative
(every language copy of its own paragraph filtered out while the rest of its Wikipedia article
stays: the answer should be refused). A sentence is labelled 1 when it belongs to a copy of the
question's paragraph and holds that copy's gold answer.

Split, as the project requires: fit on XQuAD articles 24-47 (paragraphs 120-239), report on
articles 0-23 (paragraphs 0-119).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

STORE_LANGS = ["en", "ru", "de"]
QUESTION_LANGS = ["en", "ru", "de", "tr", "es"]
# "calibrate" (articles 44-47) is held out of the reader's training (benchmarks.train_reader)
SPLITS = {"fit": range(120, 240), "report": range(0, 120), "calibrate": range(220, 240)}


@dataclass(frozen=True)
class Question:
    qid: str
    lang: str
    text: str
    paragraph: int
    answers: dict[str, str]  # store language -> the gold answer in that language's copy


def gold_answers(xquad: Path, langs: list[str]) -> dict[str, dict[str, str]]:
    """qid -> {lang: answer text} from the XQuAD files."""
    out: dict[str, dict[str, str]] = {}
    for lang in langs:
        data = json.loads((xquad / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        for art in data["data"]:
            for p in art["paragraphs"]:
                for qa in p["qas"]:
                    out.setdefault(qa["id"], {})[lang] = qa["answers"][0]["text"]
    return out


def split_questions(data: dict[str, dict], answers: dict[str, dict[str, str]], split: str,
                    every: int = 1) -> list[Question]:
    """The questions of a split in every question language (every ``every``-th id)."""
    paragraphs = SPLITS[split]
    ids = [qid for qid, _, para in data["en"]["questions"] if para in paragraphs][::every]
    keep = set(ids)
    return [Question(qid, lang, q, para, answers[qid])
            for lang in QUESTION_LANGS for qid, q, para in data[lang]["questions"]
            if qid in keep]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def holds_gold(text: str, article_id: str, q: Question) -> bool:
    """``text`` is from a copy of the question's paragraph and holds its gold answer."""
    lang, _, num = article_id.partition("/")
    if not num.isdigit() or int(num) != q.paragraph or lang not in q.answers:
        return False
    return normalise(q.answers[lang]) in normalise(text)


def filters_for(q: Question, hard_negative: bool, all_ids: list[str]):
    """Other-language paragraphs only; a hard negative also leaves out the question's own
    paragraph in every language."""
    from assistant.engine.retrieval import Filters

    langs = tuple(lang for lang in STORE_LANGS if lang != q.lang)
    if not hard_negative:
        return Filters(langs=langs)
    own = {f"{lang}/{q.paragraph:03d}" for lang in STORE_LANGS}
    return Filters(langs=langs, articles=frozenset(a for a in all_ids if a not in own))


def open_xquad(xquad: Path, out: Path, **settings):
    """(XQuAD data, gold answers, the Assistant over the indexed paragraphs, article ids)."""
    from benchmarks.xquad import index_xquad

    data, para_of, app, _ = index_xquad(xquad, STORE_LANGS, QUESTION_LANGS, out, **settings)
    return data, gold_answers(xquad, STORE_LANGS), app, sorted(para_of)
