"""Records of the index stage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned passage; ``text == article.text[start:end]``."""

    id: str  # f"{article_id}#{n}"
    article_id: str
    text: str
    start: int
    end: int
    lang: str | None
    date: str | None
    title: str
    source: str = ""


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    rank: int


def date_num(date: str | None) -> int:
    """An ISO date as the number YYYYMMDD (0 for none), as stored for range filters."""
    return int(date.replace("-", "")) if date else 0


def sentence_id(chunk_id: str, start: int) -> str:
    """The id of a chunk's sentence in the sentence collections: "<chunk id>@<start>", with
    ``start`` its offset in the chunk (the chunk id is what precedes the last "@")."""
    return f"{chunk_id}@{start}"


def where_clause(langs: list[str] | None, since: str | None, until: str | None,
                 articles: list[str] | None = None) -> dict | None:
    """A Chroma ``where`` filter for languages, an inclusive date range and (when given) a
    set of article ids."""
    parts: list[dict] = []
    if articles is not None:
        parts.append({"article_id": {"$in": list(articles) or [""]}})
    if langs:
        parts.append({"lang": {"$in": list(langs)}})
    if since:
        parts.append({"date_num": {"$gte": date_num(since)}})
    if until:
        parts.append({"date_num": {"$lte": date_num(until)}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def record_chunk(cid: str, doc: str, m: dict) -> Chunk:
    """A chunk from its record in a collection (id, document, metadata)."""
    return Chunk(id=cid, article_id=m["article_id"], text=doc, start=m["start"], end=m["end"],
                 lang=m["lang"] or None, date=m["date"] or None, title=m["title"],
                 source=m["source"])
