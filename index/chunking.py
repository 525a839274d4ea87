"""Sentence-aware chunking with character offsets into ``Article.text``."""

from __future__ import annotations

import re

from corpus import Article, lang_score, sentence_spans

from .model import Chunk

MIN_SENTENCE = 20  # shorter "sentences" (datelines, "Photo:") are neither indexed nor quoted

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]+)*")


def chunk_article(article: Article, max_chars: int = 700, min_chars: int = 200) -> list[Chunk]:
    """Split an article into passages of whole sentences.

    Paragraphs are kept whole when they fit in ``max_chars``; longer ones are cut between
    sentences; a paragraph shorter than ``min_chars`` (a headline, a one-line attribution) is
    joined with the next one so that no passage is a fragment without context.
    """
    spans: list[tuple[int, int]] = []  # (start, end) of each passage
    pending: tuple[int, int] | None = None
    for para in _PARAGRAPH.finditer(article.text):
        for s, e in _pack(article.text, para.start(), para.end(), max_chars):
            if pending is not None:
                if e - pending[0] <= max_chars:
                    s = pending[0]
                else:
                    spans.append(pending)
                pending = None
            if e - s < min_chars:
                pending = (s, e)
            else:
                spans.append((s, e))
    if pending is not None:
        if spans and pending[1] - spans[-1][0] <= max_chars:
            spans[-1] = (spans[-1][0], pending[1])
        else:
            spans.append(pending)
    return [
        Chunk(
            id=f"{article.id}#{n}",
            article_id=article.id,
            text=article.text[s:e],
            start=s,
            end=e,
            lang=chunk_lang(article.text[s:e], article.lang),
            date=article.date,
            title=article.title,
            source=article.source,
        )
        for n, (s, e) in enumerate(spans)
    ]


def chunk_lang(text: str, article_lang: str | None) -> str | None:
    """The chunk's own language where an article mixes languages: the detector's answer when
    it is confident (>= 0.9 on 80+ characters) and differs from the article's; else the
    article's."""
    if len(text) < 80:
        return article_lang
    code, score = lang_score(text)
    return code if code and score >= 0.9 and code != article_lang else article_lang


def _pack(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Greedy groups of consecutive sentences of text[start:end], each within max_chars
    (a single longer sentence stays whole)."""
    groups: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in sentence_spans(text, start, end):
        if cur is None:
            cur = (s, e)
        elif e - cur[0] <= max_chars:
            cur = (cur[0], e)
        else:
            groups.append(cur)
            cur = (s, e)
    if cur is not None:
        groups.append(cur)
    return groups


def chunk_sentences(chunk: Chunk) -> list[tuple[int, int]]:
    """Offsets into ``chunk.text`` of its sentences of at least ``MIN_SENTENCE`` characters:
    the units of the sentence channel and of extractive answers."""
    return [(s, e) for s, e in sentence_spans(chunk.text) if e - s >= MIN_SENTENCE]
