"""The test-set format: JSONL, one question per line.

Fields: ``id`` (str), ``question`` (str), ``lang`` (ISO code of the question), ``answerable``
(bool), ``expected_docs`` (article ids that answer it; empty when unanswerable), optional
``reference`` (a reference answer, for token F1) and optional ``must_mention`` (a list of
groups, each a list of equivalent strings in any language or script; the answer or its quotes
must contain one string of every group). Unknown fields are kept but ignored (e.g. ``note``).
An item with ``"needs_review": true`` (a thumbs down from the chat page: no expected answer
yet) is refused, or left out when the caller says so: scoring it would score against nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from corpus import UsageError
from corpus.jsonl import read_jsonl, write_atomic

# The shipped test set: questions about the bundled corpus.
SEED = Path(__file__).resolve().parent / "testsets" / "seed_qa.jsonl"


@dataclass(frozen=True)
class TestItem:
    __test__ = False  # not a pytest test class

    id: str
    question: str
    lang: str
    answerable: bool
    expected_docs: tuple[str, ...] = ()
    reference: str | None = None
    must_mention: tuple[tuple[str, ...], ...] = ()
    extra: dict = field(default_factory=dict, compare=False)
    history: tuple[str, ...] = ()  # earlier questions of the conversation (a follow-up)

    def to_dict(self) -> dict:
        d = {"id": self.id, "question": self.question, "lang": self.lang,
             "answerable": self.answerable, "expected_docs": list(self.expected_docs)}
        if self.reference is not None:
            d["reference"] = self.reference
        if self.must_mention:
            d["must_mention"] = [list(g) for g in self.must_mention]
        if self.history:
            d["history"] = list(self.history)
        return {**d, **self.extra}


REQUIRED = ("id", "question", "lang", "answerable", "expected_docs")


def parse_item(obj: object, where: str) -> TestItem:
    if not isinstance(obj, dict):
        raise UsageError(f"{where} is not a JSON object: write one object per line.")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise UsageError(f"{where} lacks {', '.join(missing)}: every line needs "
                         f"{', '.join(REQUIRED)}.")
    if not isinstance(obj["answerable"], bool):
        raise UsageError(f"{where}: answerable must be true or false.")
    if not isinstance(obj["question"], str) or not obj["question"].strip():
        raise UsageError(f"{where}: question must be a non-empty string.")
    docs = obj["expected_docs"]
    if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
        raise UsageError(f"{where}: expected_docs must be a list of article ids.")
    if obj["answerable"] and not docs:
        raise UsageError(f"{where}: an answerable question needs at least one expected_docs id.")
    groups = obj.get("must_mention") or []
    if not isinstance(groups, list) or not all(
            isinstance(g, list) and g and all(isinstance(s, str) for s in g) for g in groups):
        raise UsageError(f"{where}: must_mention must be a list of non-empty lists of strings.")
    history = obj.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) and h.strip()
                                                for h in history):
        raise UsageError(f"{where}: history must be a list of the earlier questions (strings).")
    extra = {k: v for k, v in obj.items()
             if k not in (*REQUIRED, "reference", "must_mention", "history")}
    return TestItem(str(obj["id"]), obj["question"], str(obj["lang"]), obj["answerable"],
                    tuple(docs), obj.get("reference"), tuple(tuple(g) for g in groups), extra,
                    tuple(history))


def needs_review(obj: object) -> bool:
    """An item still waiting for a reviewer (also the old feedback lines, which carried the
    flag under ``feedback``)."""
    if not isinstance(obj, dict):
        return False
    fb = obj.get("feedback")
    return obj.get("needs_review") is True or (isinstance(fb, dict)
                                                and fb.get("needs_review") is True)


def load_testset(path: str | Path, skip_unreviewed: bool = False) -> list[TestItem]:
    """The items of a test set; items that need review are refused (a UsageError naming
    the first) unless ``skip_unreviewed``, which leaves them out."""
    path = Path(path)
    items, seen, unreviewed = [], set(), []
    for n, obj in read_jsonl(path, "test set", "fix it"):
        if needs_review(obj):
            unreviewed.append(n)
            continue
        item = parse_item(obj, f"line {n} of {path}")
        if item.id in seen:
            raise UsageError(f"line {n} of {path} repeats id {item.id!r}: ids must be unique.")
        seen.add(item.id)
        items.append(item)
    if unreviewed and not skip_unreviewed:
        raise UsageError(f"{len(unreviewed)} item(s) of {path} still need review (line "
                         f"{unreviewed[0]} first: \"needs_review\": true, no expected answer "
                         "yet): set answerable and expected_docs and remove needs_review, or "
                         "pass --skip-unreviewed to leave them out.")
    if not items:
        raise UsageError(f"test set {path} holds no questions"
                         + (" but items that need review." if unreviewed else "."))
    return items


def write_testset(items: list[TestItem] | list[dict], path: str | Path) -> None:
    """One JSON line per item (a TestItem, or a dict as it stands: an item to review), whole
    or not at all."""
    write_atomic(path, "".join(json.dumps(it.to_dict() if isinstance(it, TestItem) else it,
                                          ensure_ascii=False) + "\n" for it in items))
