"""python -m assistant feedback: the chat page's ratings -> test-set items to review.

Reads ``<store>/feedback.jsonl`` (one line per thumbs up/down, written by the page through
``conversation.feedback_record``) and writes a test set that ``eval`` loads:

- a Like becomes an item as it stands: expected_docs = the cited articles, reference = the
  answer without its [n] markers (a liked refusal becomes an unanswerable item);
- a Dislike with a comment becomes an item with ``"needs_review": true``: the comment is the
  expected fact (its ``reference``), expected_docs = the cited articles (also kept in
  ``cited_docs``) for a reviewer to correct; a comment saying the answer is not in the corpus
  makes it unanswerable. The rejected answer is never its reference or must_mention;
- a Dislike without a comment says nothing to test and is skipped (counted).

Questions are deduplicated (the last rating wins). Only the feedback file is read: no store,
no models.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.engine.conversation import FEEDBACK_FILE
from corpus import UsageError
from corpus.citations import strip_markers
from corpus.jsonl import read_jsonl
from eval.testset import TestItem, parse_item, write_testset

DEFAULT_OUT = Path("out") / "feedback-testset.jsonl"

# A Dislike comment saying the question has no answer in the articles (en, ru, de, tr, az).
_NO_ANSWER = re.compile(
    r"\bnot (?:found )?in the (?:corpus|articles)\b|\bno answer\b|\bnot answerable\b"
    r"|\bunanswerable\b|\bshould (?:have )?refused?\b"
    r"|нет в корпусе|нет ответа|nicht im korpus|keine antwort|korpusta yok|cevap yok"
    r"|korpusda yoxdur|cavab yoxdur", re.IGNORECASE)


@dataclass
class Counts:
    likes: int = 0
    dislikes: int = 0  # with a comment: items marked needs_review
    skipped: int = 0  # dislikes without a comment

    def summary(self) -> str:
        return (f"{self.likes} likes, {self.dislikes} dislikes to review, "
                f"{self.skipped} skipped (no comment)")


def says_no_answer(comment: str) -> bool:
    """True when a Dislike's comment says the corpus does not answer the question."""
    return bool(_NO_ANSWER.search(comment))


def read_feedback(path: str | Path) -> list[tuple[int, dict]]:
    """(line number, line) of each rating in the file; a line that is not a rating is a
    one-sentence UsageError naming its number."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no feedback file {path}: rate answers on the chat page first, or "
                         "pass the --store the page was served from.")
    hint = "each line is one rating as the chat page writes it"
    out = []
    for n, obj in read_jsonl(path, "feedback file", hint):
        fb = obj.get("feedback") if isinstance(obj, dict) else None
        q = obj.get("question") if isinstance(obj, dict) else None
        if not (isinstance(q, str) and q.strip() and isinstance(fb, dict)
                and fb.get("rating") in ("up", "down")):
            raise UsageError(f'line {n} of {path} is not a rating: it needs a "question" and a '
                             f'"feedback" object with "rating" "up" or "down" ({hint}).')
        out.append((n, obj))
    return out


def _cited_docs(rec: dict) -> list[str]:
    cites = rec["feedback"].get("citations")
    docs = [c.get("doc_id") for c in cites if isinstance(c, dict)] if isinstance(cites, list) \
        else rec.get("expected_docs") or []
    return [d for d in dict.fromkeys(docs) if isinstance(d, str) and d]


def feedback_item(rec: dict, n: int) -> dict | None:
    """The test-set item of one rating (line ``n``), or None for a Dislike without comment."""
    fb = rec["feedback"]
    comment = str(fb.get("comment") or "").strip()
    docs = _cited_docs(rec)
    item = {"id": str(rec.get("id") or f"feedback-{n}"), "question": rec["question"],
            "lang": str(rec.get("lang") or "und")}
    if fb["rating"] == "up":
        answerable = bool(rec.get("answerable", True) and docs)
        item |= {"answerable": answerable, "expected_docs": docs if answerable else []}
        answer = fb.get("answer") if isinstance(fb.get("answer"), str) else rec.get("reference")
        if answerable and isinstance(answer, str) and strip_markers(answer):
            item["reference"] = strip_markers(answer)
        return item | {"needs_review": False, **({"comment": comment} if comment else {})}
    if not comment:
        return None
    item |= {"answerable": False, "expected_docs": []}
    if not docs:
        item["review_note"] = ("the rejected answer was a refusal: if the corpus answers it, "
                               "set answerable true and add expected_docs")
    elif not says_no_answer(comment):
        item |= {"answerable": True, "expected_docs": docs, "reference": comment}
    answer = fb.get("answer")
    return item | {"needs_review": True, "comment": comment, "cited_docs": docs,
                   **({"rejected_answer": answer} if isinstance(answer, str) else {})}


def feedback_items(lines: list[tuple[int, dict]]) -> tuple[list[TestItem], Counts]:
    """The items of the ratings, one per question (its last rating), checked against the
    test-set format, and what became of them."""
    last: dict[str, tuple[int, dict]] = {}
    for n, rec in lines:
        key = " ".join(rec["question"].split()).casefold()
        last.pop(key, None)  # keep the order of the last ratings
        last[key] = (n, rec)
    items, ids, counts = [], set(), Counts()
    for n, rec in last.values():
        item = feedback_item(rec, n)
        if item is None:
            counts.skipped += 1
            continue
        if item["needs_review"]:
            counts.dislikes += 1
        else:
            counts.likes += 1
        if item["id"] in ids:  # a turn rated twice under a different question: keep both
            item["id"] = f"{item['id']}-{n}"
        ids.add(item["id"])
        items.append(parse_item(item, f"the item of line {n}"))
    return items, counts


def write_items(items: list[TestItem], path: str | Path) -> None:
    """Write the test set whole or not at all (a temporary file, then a rename)."""
    path = Path(path)
    try:
        write_testset(items, path)
    except OSError as exc:
        raise UsageError(f"cannot write {path} ({exc.strerror or type(exc).__name__}): pass a "
                         "writable --out file.") from None


def run_feedback(store: str | Path, out: str | Path | None, as_json: bool) -> int:
    """The command: read the store's ratings, write the items, say what was written."""
    items, counts = feedback_items(read_feedback(Path(store) / FEEDBACK_FILE))
    out = Path(out) if out else DEFAULT_OUT
    # with --json stdout holds only the items, one per line, and the summary goes to stderr
    say = sys.stderr if as_json else sys.stdout
    if not items:
        print(f"no items to write ({counts.summary()}); {out} left unchanged", file=say)
        return 0
    write_items(items, out)
    if as_json:
        for it in items:
            print(json.dumps(it.to_dict(), ensure_ascii=False))
    print(f"wrote {len(items)} items to {out}: {counts.summary()}", file=say)
    return 0
