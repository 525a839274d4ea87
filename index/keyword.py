"""The keyword channel's text side: BM25 over transliterated character n-grams, and name keys.

Names survive across scripts once transliterated (Омуралиев -> omuraliev, Işıkhan -> isikhan),
and character 4-grams match inflected forms (Омуралиевым, Omuraliev's) without a stemmer per
language. A token is at most 4 ASCII bytes, so it is kept as one uint32 (``token_codes``):
tokenising, counting and scoring are numpy over arrays, not Python strings (see
``postings.py``; 40 million tokens at 100k chunks were 2.5 GB as strings).
"""

from __future__ import annotations

import functools
import re

import numpy as np
from anyascii import anyascii

_WORD = re.compile(r"[a-z0-9]+")
NGRAM = 4


class _Transliteration(dict):
    """code point -> its ASCII transliteration, filled on first sight: ``str.translate``
    with it equals ``anyascii`` (a per-character table) at C speed (8x faster on news)."""

    def __missing__(self, codepoint: int) -> str:
        self[codepoint] = value = anyascii(chr(codepoint))
        return value


_ASCII = _Transliteration()


def ascii_lower(text: str) -> str:
    return (text if text.isascii() else text.translate(_ASCII)).lower()


def tokens(text: str) -> list[str]:
    """Transliterated, lower-cased word 4-grams (with word-boundary marks); short words whole."""
    out: list[str] = []
    for word in _WORD.findall(ascii_lower(text)):
        if len(word) <= NGRAM:
            out.append(word)
            continue
        padded = f"_{word}_"
        out.extend(padded[i : i + NGRAM] for i in range(len(padded) - NGRAM + 1))
    return out


_CAPITALISED = re.compile(r"\b[A-ZА-ЯЁÇĞİÖŞÜƏ][\w'’-]{2,}")


_APOSTROPHE, _H = re.compile(r"['’]"), re.compile(r"([kgszct])h")
_VOWEL, _DOUBLE = re.compile(r"[^a-z]|[aeiouy]"), re.compile(r"(.)\1+")


@functools.lru_cache(maxsize=200_000)  # names recur across passages and questions
def name_key(word: str) -> str:
    """A spelling-independent key of a name: transliterated consonants, so that Ишыкхан,
    Işıkhan and Ishikhan (-> "skn"), Джамшид and Jamshid, Алиев and Aliyev/Əliyev agree.
    "" when too short to tell names apart."""
    w = ascii_lower(_APOSTROPHE.split(word)[0]).replace("dzh", "j").replace("ts", "c")
    w = _DOUBLE.sub(r"\1", _VOWEL.sub("", _H.sub(r"\1", w)))
    return w if len(w) >= 2 else ""


def name_keys(text: str, skip_first: bool = False) -> set[str]:
    """Keys of the capitalised words of ``text`` (likely names); with ``skip_first``, the
    text's first word (capitalised as a sentence start) is left out."""
    words = _CAPITALISED.findall(text)
    if skip_first and words and text.lstrip().startswith(words[0]):
        words = words[1:]
    return {k for k in map(name_key, words) if k}


def names_match(wanted: str, present: set[str]) -> bool:
    """A name key matches a key of the text, either being a prefix of the other (inflected
    forms: Омуралиевым, Işıkhan'ın) longer by at most one consonant (an ending), so that
    Ишыкхан ("skn") does not match Искандер ("skndr")."""
    if not isinstance(present, NameIndex):
        present = NameIndex(present)
    return present.has(wanted)


class NameIndex(frozenset):
    """A text's name keys and each key less its last letter, so ``names_match`` is three
    set lookups: ``wanted`` is a key, a key less its ending, or a key plus an ending."""

    def __new__(cls, keys):
        return super().__new__(cls, [*keys, *("<" + k[:-1] for k in keys)])

    def has(self, wanted: str) -> bool:
        return (wanted in self or "<" + wanted in self
                or (len(wanted) >= 4 and wanted[:-1] in self))


def token_codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The ``tokens`` of every text as uint32 codes (a token's bytes, big-endian, zero-padded)
    and, aligned, the index of the text each came from; vectorised over all texts at once."""
    docs = ["_" + "_ _".join(_WORD.findall(ascii_lower(t))) + "_" for t in texts]
    buf = np.frombuffer("\n".join(docs).encode("ascii"), np.uint8).astype(np.uint32)
    if not len(texts):
        return np.zeros(0, np.uint32), np.zeros(0, np.int32)
    cut = np.flatnonzero((buf == 32) | (buf == 10))
    starts = np.concatenate([[0], cut + 1])
    ends = np.concatenate([cut, [len(buf)]])
    doc = np.concatenate([[0], np.cumsum(buf[cut] == 10)]).astype(np.int32)
    size = ends - starts - 2  # the word's length without its two marks; -1: an empty text
    pad = np.concatenate([buf, np.zeros(4, np.uint32)])
    # short words whole: their bytes after the leading mark, zero-padded to four
    short = np.flatnonzero((size >= 1) & (size <= NGRAM))
    s0, n = starts[short] + 1, size[short]
    whole = sum(np.where(j < n, pad[s0 + j], 0) << (24 - 8 * j) for j in range(NGRAM))
    # longer words: every 4-gram of the marked word
    long_ = np.flatnonzero(size > NGRAM)
    count = size[long_] + 2 - NGRAM + 1
    first = np.repeat(starts[long_], count)
    pos = first + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    grams = (pad[pos] << 24) | (pad[pos + 1] << 16) | (pad[pos + 2] << 8) | pad[pos + 3]
    codes = np.concatenate([whole, grams]).astype(np.uint32)
    return codes, np.concatenate([doc[short], np.repeat(doc[long_], count)])
