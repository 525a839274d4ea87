"""The Article record: what the corpus stage hands to the index stage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """One news article, cleaned of page furniture.

    ``text`` is what is indexed and quoted; every quote and offset refers to it. ``raw`` is the
    file's text as read, so a reader can see what the cleaner removed; every line of ``text``
    is a verbatim line of ``raw``.
    """

    id: str  # path relative to the corpus root, without extension, with "/" separators
    title: str
    text: str
    date: str | None  # ISO YYYY-MM-DD, or None when the file does not say
    lang: str | None  # ISO 639-1 code from the language detector
    source: str  # the file's path relative to the corpus root (+ "#key" within a feed file)
    path: str  # absolute path of the file
    sha256: str  # of the raw file bytes (of the record's fields within a feed file)
    raw: str = ""
    site: str | None = None  # the outlet (site name or host) when the file states it
    url: str | None = None
