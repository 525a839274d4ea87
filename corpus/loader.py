"""Read a folder of .txt/.md news files into Article records."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from .clean import clean
from .errors import CorpusError
from .lang import detect_lang
from .model import Article
from .sentences import sentence_spans

SUFFIXES = (".txt", ".md")
_HEADER = re.compile(r"\A\ufeff?\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_MONTHS = {
    # en, de, ru (genitive), tr, az: month name prefix -> number
    **dict.fromkeys(["jan", "januar", "январ", "ocak", "yanvar"], 1),
    **dict.fromkeys(["feb", "februar", "феврал", "şubat", "subat", "fevral"], 2),
    **dict.fromkeys(["mar", "märz", "марта", "mart"], 3),
    **dict.fromkeys(["apr", "апрел", "nisan", "aprel"], 4),
    **dict.fromkeys(["may", "mai", "мая", "mayıs", "mayis"], 5),
    **dict.fromkeys(["jun", "juni", "июн", "haziran", "iyun"], 6),
    **dict.fromkeys(["jul", "juli", "июл", "temmuz", "iyul"], 7),
    **dict.fromkeys(["aug", "август", "ağustos", "agustos", "avqust"], 8),
    **dict.fromkeys(["sep", "сентябр", "eylül", "eylul", "sentyabr"], 9),
    **dict.fromkeys(["oct", "okt", "октябр", "ekim", "oktyabr"], 10),
    **dict.fromkeys(["nov", "ноябр", "kasım", "kasim", "noyabr"], 11),
    **dict.fromkeys(["dec", "dez", "декабр", "aralık", "aralik", "dekabr"], 12),
}
_DATELINE = re.compile(r"\b(\d{1,2})\.?\s+([^\W\d_]{3,12})\.?,?\s+(\d{4})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")


def article_id(path: Path, root: Path) -> str:
    """Stable id: the path relative to the corpus root, without extension."""
    return path.relative_to(root).with_suffix("").as_posix()


def find_files(root: Path) -> list[Path]:
    """The article files under ``root``, sorted; raises CorpusError if it is not a folder."""
    if not root.exists():
        raise CorpusError(
            f"corpus folder {root} does not exist: pass an existing folder with --corpus."
        )
    if not root.is_dir():
        raise CorpusError(f"corpus path {root} is not a folder: pass a folder with --corpus.")
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def load_corpus(root: str | Path) -> Iterator[Article]:
    """Yield one Article per .txt/.md file under ``root``, in path order.

    Raises CorpusError (one sentence, naming the file and the fix) for a missing folder or a
    file that cannot be read as UTF-8 text.
    """
    root = Path(root).resolve()
    for path in find_files(root):
        yield load_file(path, root)


def load_file(path: Path, root: Path) -> Article:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(
            f"cannot read {path} ({exc.strerror or exc}): fix its permissions or remove it "
            "from the corpus."
        ) from None
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorpusError(
            f"cannot read {path}: it is not UTF-8 text; convert it to UTF-8 or remove it "
            "from the corpus."
        ) from None
    return parse_article(raw, article_id(path, root), path.relative_to(root).as_posix(),
                         str(path), hashlib.sha256(data).hexdigest())


def parse_article(raw: str, aid: str, source: str, path: str, sha256: str) -> Article:
    """Build an Article from a file's text: header date, cleaning, title, language."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    date = None
    body_start = 0
    if m := _HEADER.match(raw):
        date, body_start = m.group(1), m.end()
    cleaned = clean(raw[body_start:])
    text = "\n\n".join(line.text for line in cleaned.kept)
    if date is None:
        date = find_dateline(raw[body_start:body_start + 600])
    title = cleaned.headline or _first_sentence(text) or aid
    return Article(
        id=aid,
        title=title,
        text=text,
        date=date,
        lang=detect_lang(text) if text else None,
        source=source,
        path=path,
        sha256=sha256,
        raw=raw,
    )


def find_dateline(head: str) -> str | None:
    """An ISO date from a dateline such as '06 September 2023' or '05.12.2025', else None."""
    for m in _DATELINE.finditer(head):
        month = _month(m.group(2))
        if month:
            return _iso(int(m.group(3)), month, int(m.group(1)))
    if m := _NUMERIC_DATE.search(head):
        return _iso(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None


def _month(word: str) -> int | None:
    w = word.casefold()
    for prefix, number in _MONTHS.items():
        if w.startswith(prefix):
            return number
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    if 1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _first_sentence(text: str, limit: int = 120) -> str:
    spans = sentence_spans(text)
    if not spans:
        return ""
    s, e = spans[0]
    sentence = text[s:e]
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0] + "…"
