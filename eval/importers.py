"""Build a corpus folder and a test set from public QA benchmarks.

* SQuAD-format JSON (SQuAD, XQuAD, MLQA...): every paragraph becomes an article file; files
  whose names carry a language (``xquad.ru.json``) are parallel versions: a question's
  expected docs are all language copies of its paragraph, and its ``must_mention`` group holds
  the answer in every language, so a cross-lingual answer counts.
* BEIR (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from corpus import UsageError, detect_lang

from .testset import TestItem, write_testset

_LANG_IN_NAME = re.compile(r"[._-]([a-z]{2})\.json$")


@dataclass(frozen=True)
class ImportReport:
    articles: int
    questions: int
    corpus: str
    testset: str


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist: pass existing SQuAD-format files.") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not readable JSON ({type(exc).__name__}): pass SQuAD-format "
                         "files.") from None


def _squad_lang(path: Path, data: dict) -> str:
    if m := _LANG_IN_NAME.search(path.name):
        return m.group(1)
    try:
        return detect_lang(data["data"][0]["paragraphs"][0]["context"]) or "xx"
    except (KeyError, IndexError, TypeError):
        return "xx"


def import_squad(files: list[str | Path], out: str | Path, corpus_langs: list[str] | None = None,
                 question_langs: list[str] | None = None, max_questions: int | None = None
                 ) -> ImportReport:
    """Write ``out/corpus/<lang>/<article>_<paragraph>.txt`` and ``out/testset.jsonl``.

    ``max_questions`` keeps an evenly spread subset of question ids (the same ids in every
    question language), so a benchmark can be sized to the machine.
    """
    out = Path(out)
    parsed: dict[str, dict] = {}
    for f in files:
        path = Path(f)
        data = _read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise UsageError(f"{path} has no 'data' list: it is not in SQuAD format.")
        lang = _squad_lang(path, data)
        if lang in parsed:
            raise UsageError(f"two files are in language {lang!r}: pass one file per language.")
        parsed[lang] = data
    corpus_langs = corpus_langs or list(parsed)
    question_langs = question_langs or list(parsed)
    for lang in {*corpus_langs, *question_langs} - set(parsed):
        raise UsageError(f"no file for language {lang!r}: pass its SQuAD file too.")

    where: dict[str, tuple[int, int]] = {}  # qa id -> (article, paragraph)
    questions: dict[str, dict[str, tuple[str, str]]] = {}  # qa id -> lang -> (question, answer)
    written = 0
    corpus_dir = out / "corpus"
    for lang, data in parsed.items():
        for a_idx, art in enumerate(data["data"]):
            for p_idx, para in enumerate(art.get("paragraphs", [])):
                if lang in corpus_langs:
                    p = corpus_dir / lang / f"{a_idx:03d}_{p_idx:02d}.txt"
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.write_text(para["context"].strip() + "\n", encoding="utf-8")
                    written += 1
                for qa in para.get("qas", []):
                    where[qa["id"]] = (a_idx, p_idx)
                    answer = (qa.get("answers") or [{"text": ""}])[0]["text"]
                    questions.setdefault(qa["id"], {})[lang] = (qa["question"], answer)
    ids = sorted(q for q in questions if all(lang in questions[q] for lang in question_langs))
    if max_questions and max_questions < len(ids):
        step = len(ids) / max_questions
        ids = [ids[int(i * step)] for i in range(max_questions)]
    items = []
    for qid in ids:
        a_idx, p_idx = where[qid]
        docs = tuple(f"{lang}/{a_idx:03d}_{p_idx:02d}" for lang in corpus_langs)
        answers = tuple(dict.fromkeys(ans for _, ans in questions[qid].values() if ans))
        for lang in question_langs:
            question, answer = questions[qid][lang]
            items.append(TestItem(f"{qid}-{lang}", question, lang, True, docs, answer,
                                  (answers,) if answers else (), {"group": qid}))
    out.mkdir(parents=True, exist_ok=True)
    write_testset(items, out / "testset.jsonl")
    return ImportReport(written, len(items), str(corpus_dir), str(out / "testset.jsonl"))


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)[:120] or "doc"


def import_beir(folder: str | Path, out: str | Path, split: str = "test") -> ImportReport:
    folder, out = Path(folder), Path(out)
    try:
        corpus_lines = (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
        query_lines = (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()
        qrels_text = (folder / "qrels" / f"{split}.tsv").read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{folder} is not a BEIR folder ({exc.filename} missing): it needs "
                         f"corpus.jsonl, queries.jsonl and qrels/{split}.tsv.") from None
    corpus_dir = out / "corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    ids: dict[str, str] = {}
    for n, line in enumerate(corpus_lines, start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            did = str(doc["_id"])
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"line {n} of corpus.jsonl is not a BEIR document.") from None
        safe = _safe(did)
        ids[did] = safe
        title = (doc.get("title") or "").strip()
        body = (doc.get("text") or "").strip()
        (corpus_dir / f"{safe}.txt").write_text(f"{title}\n\n{body}\n" if title else body + "\n",
                                                encoding="utf-8")
    rel: dict[str, list[str]] = {}
    for row in csv.reader(qrels_text.splitlines(), delimiter="\t"):
        if len(row) < 3 or row[0] == "query-id":
            continue
        try:
            if int(row[2]) > 0 and row[1] in ids:
                rel.setdefault(row[0], []).append(ids[row[1]])
        except ValueError:
            continue
    items = []
    for line in query_lines:
        if not line.strip():
            continue
        q = json.loads(line)
        qid = str(q["_id"])
        if qid in rel:
            items.append(TestItem(qid, q["text"], detect_lang(q["text"]) or "xx", True,
                                  tuple(rel[qid])))
    write_testset(items, out / "testset.jsonl")
    return ImportReport(len(ids), len(items), str(corpus_dir), str(out / "testset.jsonl"))
