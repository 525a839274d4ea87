"""Read a corpus folder (text, HTML, JSON/JSONL, CSV files) into cleaned Article records."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .clean import clean
from .dates import find_dateline
from .errors import CorpusError
from .formats import SUFFIXES, Record, Unreadable, decode, read_records
from .lang import detect_lang
from .model import Article
from .sentences import sentence_spans

_HEADER = re.compile(r"\A\ufeff?\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*")


@dataclass(frozen=True)
class Skipped:
    """A file left out of the corpus, with the reason (one clause)."""

    source: str  # path relative to the corpus root
    reason: str


@dataclass(frozen=True)
class KnownFile:
    """A file whose bytes the caller already holds (``unchanged`` said so): not parsed."""

    source: str
    ids: list[str]


@dataclass(frozen=True)
class FileDone:
    """Follows the Articles of a parsed file: its content hash and its article ids."""

    source: str
    sha256: str
    ids: list[str]


# unchanged(source, sha256 of the file's bytes) -> the article ids the caller already holds
# for exactly these bytes, or None to have the file parsed.
Unchanged = Callable[[str, str], "list[str] | None"]


def article_id(path: Path, root: Path) -> str:
    """Stable id: the path relative to the corpus root, without extension."""
    return path.relative_to(root).with_suffix("").as_posix()


def find_files(root: Path) -> list[Path]:
    """The candidate files under ``root`` (not hidden), sorted; raises CorpusError if it is not
    a folder. Files of other types are reported by ``scan_corpus``, not returned here."""
    return [p for p in _all_files(root) if p.suffix.lower() in SUFFIXES]


def check_folder(root: Path) -> None:
    """Raise CorpusError unless ``root`` is an existing folder (cheap: before models load)."""
    if not root.exists():
        raise CorpusError(
            f"corpus folder {root} does not exist: pass an existing folder with --corpus."
        )
    if not root.is_dir():
        raise CorpusError(f"corpus path {root} is not a folder: pass a folder with --corpus.")


def _all_files(root: Path) -> list[Path]:
    check_folder(root)
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


MAX_ARTICLE_CHARS = 1_000_000  # about 150,000 words: no news article; a dump or a bad export


def scan_corpus(root: str | Path, fields: Mapping[str, tuple[str, ...]] | None = None,
                unchanged: Unchanged | None = None, max_chars: int = MAX_ARTICLE_CHARS
                ) -> Iterator[Article | FileDone | KnownFile | Skipped]:
    """Every file under ``root`` in path order, one at a time: its Articles then a FileDone,
    a KnownFile when ``unchanged`` recognises its bytes, or a Skipped (unsupported type,
    unreadable, no text, an id already taken by another file). Only a missing corpus folder
    raises (CorpusError)."""
    root = Path(root).resolve()
    taken: dict[str, str] = {}
    for path in _all_files(root):
        rel = path.relative_to(root).as_posix()
        if path.suffix.lower() not in SUFFIXES:
            yield Skipped(rel, f"{path.suffix or 'no suffix'} files are not articles "
                               f"(supported: {', '.join(SUFFIXES)})")
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield Skipped(rel, f"cannot be read ({exc.strerror or exc})")
            continue
        sha = hashlib.sha256(data).hexdigest()
        known = unchanged(rel, sha) if unchanged else None
        if known is not None:
            clash = [i for i in known if i in taken]
            if not clash:
                taken.update(dict.fromkeys(known, rel))
                yield KnownFile(rel, known)
                continue
        problems: list[str] = []
        try:
            articles = articles_from_bytes(data, path, root, fields, sha, problems)
        except Unreadable as exc:
            yield Skipped(rel, str(exc))
            continue
        for p in problems:  # the file's good lines are indexed, its bad ones said
            yield Skipped(f"{rel} ({p.split(' is ')[0]})", f"{p}; the file's other lines "
                          "were indexed")
        ids = []
        for a in articles:
            where = rel if len(articles) == 1 else f"{rel} ({a.id})"
            if len(a.text) > max_chars:
                yield Skipped(where, f"it is {len(a.text):,} characters long, over "
                              f"max_article_chars ({max_chars:,}): split it into articles, "
                              "or raise max_article_chars")
                continue
            if a.id in taken:
                yield Skipped(where, f"its id {a.id} is taken by {taken[a.id]}; rename one "
                              "of them")
                continue
            taken[a.id] = rel
            ids.append(a.id)
            yield a
        if ids:
            yield FileDone(rel, sha, ids)


def load_corpus(root: str | Path, fields: Mapping[str, tuple[str, ...]] | None = None,
                skipped: list[Skipped] | None = None) -> Iterator[Article]:
    """Yield the Articles under ``root`` in path order; files that cannot be used are left
    out (and appended to ``skipped`` when given). Raises CorpusError for a missing folder."""
    for item in scan_corpus(root, fields):
        if isinstance(item, Article):
            yield item
        elif isinstance(item, Skipped) and skipped is not None:
            skipped.append(item)


def load_file(path: Path, root: Path, fields: Mapping[str, tuple[str, ...]] | None = None
              ) -> list[Article]:
    """The Articles of one file; raises Unreadable with the reason."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from None
    return articles_from_bytes(data, path, root, fields)


def articles_from_bytes(data: bytes, path: Path, root: Path,
                        fields: Mapping[str, tuple[str, ...]] | None = None,
                        sha: str | None = None, problems: list[str] | None = None
                        ) -> list[Article]:
    if not data.strip():
        raise Unreadable("the file is empty")
    text, _ = decode(data)
    rel = path.relative_to(root).as_posix()
    base = article_id(path, root)
    records = read_records(path.suffix, text, fields, problems)
    sha = sha or hashlib.sha256(data).hexdigest()
    out = []
    for r in records:
        if r.key is None:  # one article per file: the file's id and hash
            aid, digest = base, sha
        else:
            aid = f"{base}/{r.key}"
            digest = hashlib.sha256("\x00".join(
                str(v) for v in (r.raw, r.title, r.date, r.url, r.site, r.lang)).encode()
            ).hexdigest()
        article = parse_article(r.raw, aid, rel if r.key is None else f"{rel}#{r.key}",
                                str(path), digest, r)
        if article.text:
            out.append(article)
    if not out:
        raise Unreadable("no article text was found in it")
    return out


def parse_article(raw: str, aid: str, source: str, path: str, sha256: str,
                  record: Record | None = None) -> Article:
    """Build an Article from its raw text: header date, cleaning, title, language. Metadata
    stated by the file (``record``) wins over what is read from the text; what neither says
    stays None (the title falls back to the headline or the first sentence)."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    date = None
    body_start = 0
    if (record is None or record.has_header) and (m := _HEADER.match(raw)):
        date, body_start = m.group(1), m.end()
    cleaned = clean(raw[body_start:])
    text = "\n\n".join(line.text for line in cleaned.kept)
    if date is None and record is not None:
        date = record.date
    if date is None:
        date = find_dateline(raw[body_start:body_start + 600])
    title = ((record.title if record else None) or cleaned.headline or _first_sentence(text)
             or aid)
    return Article(
        id=aid,
        title=title,
        text=text,
        date=date,
        lang=(record.lang if record else None) or (detect_lang(text) if text else None),
        source=source,
        path=path,
        sha256=sha256,
        raw=raw,
        site=record.site if record else None,
        url=record.url if record else None,
    )


def removed_lines(raw: str, text: str) -> list[str]:
    """The lines of ``raw`` that the cleaner left out of ``text`` (a ' date' header is
    metadata, not a removed line)."""
    from collections import Counter

    if m := _HEADER.match(raw):
        raw = raw[m.end():]
    kept = Counter(text.split("\n\n"))
    out = []
    for line in raw.splitlines():
        line = line.strip()
        if not line:
            continue
        if kept[line] > 0:
            kept[line] -= 1
        else:
            out.append(line)
    return out


# A news agency's dateline before the first sentence: "БАКУ /Trend/ - ", "BAKU, Dec 5
# (Reuters) - ", "ANKARA (AA) – ", "BAKU - ": capitalised words (a place, a date), then the
# agency in slashes or brackets or nothing, then a dash or colon, then a capital letter
_DATELINE = re.compile(r"^\s*([^\n/()]{2,50}?)\s*(/[^/\n]{1,30}/|\([^()\n]{1,30}\))?"
                       r"\s*[-–—:]\s+(?=[^\W\d_])")


def without_dateline(sentence: str) -> str:
    """``sentence`` without an agency dateline in front (a title needs none); as it was
    when there is none or nothing would be left."""
    m = _DATELINE.match(sentence)
    if not m or not sentence[m.end()].isupper():
        return sentence
    words = m.group(1).replace(",", " ").replace(".", " ").split()
    place = all(w[0].isupper() or w[0].isdigit() for w in words)
    if not place or not (m.group(2) or all(w.isupper() for w in words if w[0].isalpha())):
        return sentence  # a bare dateline is a place in capitals: "BAKU -", not "OTS Day -"
    return sentence[m.end():]


def _first_sentence(text: str, limit: int = 120) -> str:
    """A title made from the first sentence, its dateline dropped."""
    spans = sentence_spans(text)
    if not spans:
        return ""
    s, e = spans[0]
    sentence = without_dateline(text[s:e])
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0] + "…"
