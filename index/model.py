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
