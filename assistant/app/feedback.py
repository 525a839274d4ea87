"""python -m assistant feedback: the chat page's ratings -> test-set items to review.

Reads ``<store>/feedback.jsonl`` (one line per thumbs up/down, written by the page through
``conversation.feedback_record``) and keeps the two kinds apart:

- a Like becomes a test-set item as it stands (``--out``, which ``eval`` loads):
  expected_docs = the cited articles, reference = the answer without its [n] markers (a
  liked refusal becomes an unanswerable item);
- a Dislike becomes an item to review (``<out>-review.jsonl``): the question, the comment,
  the rejected answer and its citations under ``rejected``, ``"needs_review": true`` and no
  answerable, expected_docs or reference: what answers the question is for a reviewer to
  say (a comment saying it is not in the corpus is pointed out in ``review_note``). ``eval``
  refuses such items until reviewed (or leaves them out with --skip-unreviewed).

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
    dislikes: int = 0  # items marked needs_review

    def summary(self) -> str:
        return f"{self.likes} likes, {self.dislikes} dislikes to review"


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


def _shown(rec: dict, key: str):
    """What the page showed: under ``feedback.rejected`` for a Dislike (older lines kept it
    directly under ``feedback``)."""
    fb = rec["feedback"]
    return (fb.get("rejected") if isinstance(fb.get("rejected"), dict) else fb).get(key)


def _cited_docs(rec: dict) -> list[str]:
    cites = _shown(rec, "citations")
    docs = [c.get("doc_id") for c in cites if isinstance(c, dict)] if isinstance(cites, list) \
        else rec.get("expected_docs") or []
    return [d for d in dict.fromkeys(docs) if isinstance(d, str) and d]


def feedback_item(rec: dict, n: int) -> dict:
    """The item of one rating (line ``n``): a test-set item for a Like, an item to review
    (``needs_review``) for a Dislike."""
    fb = rec["feedback"]
    comment = str(fb.get("comment") or "").strip()
    docs = _cited_docs(rec)
    item = {"id": str(rec.get("id") or f"feedback-{n}"), "question": rec["question"],
            "lang": str(rec.get("lang") or "und")}
    if fb["rating"] == "up":
        answerable = bool(rec.get("answerable", True) and docs)
        item |= {"answerable": answerable, "expected_docs": docs if answerable else []}
        answer = _shown(rec, "answer")
        answer = answer if isinstance(answer, str) else rec.get("reference")
        if answerable and isinstance(answer, str) and strip_markers(answer):
            item["reference"] = strip_markers(answer)
        return item | {"needs_review": False, **({"comment": comment} if comment else {})}
    note = ("the user says the corpus does not answer it: if so, set answerable false and "
            "expected_docs []" if says_no_answer(comment) else
            "the user rejected this answer: set answerable and expected_docs (the articles "
            "that answer it, not those cited unless they do)")
    answer, cites = _shown(rec, "answer"), _shown(rec, "citations")
    return item | {"needs_review": True, "comment": comment, "review_note": note,
                   "rejected": {"answer": answer if isinstance(answer, str) else None,
                                "citations": cites if isinstance(cites, list) else [],
                                "cited_docs": docs}}


def feedback_items(lines: list[tuple[int, dict]]) -> tuple[list[TestItem], list[dict], Counts]:
    """The test-set items of the Likes (checked against the format), the items to review of
    the Dislikes, one per question (its last rating), and how many of each."""
    last: dict[str, tuple[int, dict]] = {}
    for n, rec in lines:
        key = " ".join(rec["question"].split()).casefold()
        last.pop(key, None)  # keep the order of the last ratings
        last[key] = (n, rec)
    items, review, ids, counts = [], [], set(), Counts()
    for n, rec in last.values():
        item = feedback_item(rec, n)
        if item["id"] in ids:  # a turn rated twice under a different question: keep both
            item["id"] = f"{item['id']}-{n}"
        ids.add(item["id"])
        if item["needs_review"]:
            counts.dislikes += 1
            review.append(item)
        else:
            counts.likes += 1
            items.append(parse_item(item, f"the item of line {n}"))
    return items, review, counts


def review_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}-review{out.suffix or '.jsonl'}")


def write_items(items: list[TestItem] | list[dict], path: str | Path) -> None:
    """Write the items (test-set items or items to review) whole or not at all (a temporary
    file, then a rename)."""
    path = Path(path)
    try:
        write_testset(items, path)
    except OSError as exc:
        raise UsageError(f"cannot write {path} ({exc.strerror or type(exc).__name__}): pass a "
                         "writable --out file.") from None


def run_feedback(store: str | Path, out: str | Path | None, as_json: bool) -> int:
    """The command: read the store's ratings, write the Likes' test set and the Dislikes'
    items to review apart, say what was written."""
    items, review, counts = feedback_items(read_feedback(Path(store) / FEEDBACK_FILE))
    out = Path(out) if out else DEFAULT_OUT
    # with --json stdout holds only the items, one per line, and the summary goes to stderr
    say = sys.stderr if as_json else sys.stdout
    wrote = []
    if items:
        write_items(items, out)
        wrote.append(f"{len(items)} test items to {out}")
    if review:
        write_items(review, review_path(out))
        wrote.append(f"{len(review)} items to review to {review_path(out)} (eval refuses "
                     "them until reviewed)")
    if as_json:
        for line in [it.to_dict() for it in items] + review:
            print(json.dumps(line, ensure_ascii=False))
    print(f"wrote {' and '.join(wrote)}: {counts.summary()}" if wrote else
          f"no items to write ({counts.summary()}); {out} left unchanged", file=say)
    return 0
