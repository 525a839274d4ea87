"""What the command line prints: answers, hits, an article, skipped files (text or JSON)."""

from __future__ import annotations

import json
import sys


def _meta(*values: str | None) -> str:
    return ", ".join(v for v in values if v)


def answer(ans, qid, as_json: bool) -> None:
    answer_dict(ans.to_dict(qid), as_json)


def answer_dict(d: dict, as_json: bool) -> None:
    """An answer as the `ask --json` object, or as text (the same from a running server)."""
    if as_json:
        print(json.dumps(d, ensure_ascii=False), flush=True)
        return
    if d.get("id") is not None:
        print(f"# {d['id']}: {d['question']}")
    if d.get("notice"):
        print(f"({d['notice']})")
    print(d["answer"])
    for c in d["citations"]:
        print(f"  [{c['n']}] {c['title']} ({_meta(c['date'], c['lang'])}) {c['doc_id']}:"
              f"{c['start']}-{c['end']}\n      “{c['quote']}”")
        if c.get("also_reported_in"):
            print("      also reported in: " + "; ".join(
                f"{o['title']} ({_meta(o['date'], o['lang'])})" for o in c["also_reported_in"]))
    for r in d.get("removed") or []:
        print(f"  removed: “{r['sentence']}” ({r['reason']})")
    print(flush=True)


def hits_dict(question: str, found, qid) -> dict:
    """The `search --json` object (also the HTTP API's /api/search answer)."""
    return {"id": qid, "question": question, "hits": [
        {"rank": h.rank, "doc_id": h.chunk.article_id, "chunk_id": h.chunk.id,
         "score": h.score, "lang": h.chunk.lang, "date": h.chunk.date,
         "title": h.chunk.title, "text": h.chunk.text} for h in found]}


def hits(question: str, found, qid, as_json: bool) -> None:
    hits_json(hits_dict(question, found, qid), as_json)


def hits_json(d: dict, as_json: bool) -> None:
    """The `search --json` object, or a line per hit."""
    if as_json:
        print(json.dumps(d, ensure_ascii=False), flush=True)
        return
    print(f"# {d['question']}")
    for h in d["hits"]:
        text = " ".join(h["text"].split())
        print(f"{h['rank']:2d}. {h['score']:6.2f}  {h['chunk_id']}  ({h['date']}, {h['lang']})  "
              f"{text[:160]}")
    print(flush=True)


def article(rec: dict, also: list[dict], with_removed: bool, as_json: bool) -> None:
    """An indexed article's record; ``with_removed`` adds what the cleaner took out."""
    from corpus.loader import removed_lines

    removed = removed_lines(rec["raw"], rec["text"])
    if as_json:
        print(json.dumps(article_dict(rec, also, with_removed), ensure_ascii=False))
        return
    for key in ("id", "title", "date", "lang", "site", "url", "source", "n_chunks"):
        print(f"{key:9} {rec[key] if rec[key] is not None else '-'}")
    for o in also:
        print(f"also reported in: {o['doc_id']} ({o['lang']}, {o['date']}) {o['title']}")
    print(f"\n{rec['text']}\n")
    if with_removed:
        print(f"removed by the cleaner ({len(removed)} lines):")
        for line in removed:
            print(f"  - {line}")


def article_dict(rec: dict, also: list[dict], with_removed: bool = False) -> dict:
    """The `show --json` object (also the HTTP API's /api/articles/{id} answer)."""
    from corpus.loader import removed_lines

    out = {k: rec[k] for k in ("id", "title", "date", "lang", "site", "url", "source",
                               "sha256", "n_chunks", "text")}
    out["also_reported_in"] = also
    if with_removed:
        out["removed_lines"] = removed_lines(rec["raw"], rec["text"])
    return out


def skipped(report) -> None:
    """One line per file left out of the index, on stderr."""
    if report.skipped_files:
        print(f"skipped {len(report.skipped_files)} file(s):", file=sys.stderr)
        for s in report.skipped_files:
            print(f"  {s.source}: {s.reason}", file=sys.stderr)
