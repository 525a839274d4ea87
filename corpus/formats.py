"""What monitoring tools export, read into article records: text files, saved HTML pages,
JSON/JSONL feeds and CSV tables, in any common encoding.

Every reader returns ``Record`` values (the article's raw text plus whatever metadata the
file states); ``loader`` turns them into cleaned ``Article`` values. A file that cannot be
read raises ``Unreadable`` with a short reason, which the loader reports and skips.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from .dates import normalise_date

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
RECORD_SUFFIXES = (".json", ".jsonl", ".csv")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + RECORD_SUFFIXES

# Field names tried, in order, for each article attribute of a JSON object or CSV row
# (NewsAPI, GDELT-style, RSS-to-JSON and common scraper exports). Configurable per field.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content", "article", "maintext", "full_text", "description"),
    "title": ("title", "headline", "name"),
    "date": ("date", "published", "published_at", "publishedAt", "pubDate", "datePublished",
             "date_publish", "created_at", "time", "timestamp"),
    "url": ("url", "link", "source_url", "href"),
    "source": ("source", "site", "sitename", "site_name", "outlet", "publisher", "domain"),
    "lang": ("lang", "language", "locale"),
    "id": ("id", "guid", "uuid", "article_id"),
}

# Legacy encodings tried when a file is not UTF-8 or UTF-16: the best-scoring decode wins.
_LEGACY = ("cp1251", "cp1252", "cp1254", "iso-8859-9", "cp1250", "koi8-r", "iso-8859-5",
           "cp1256", "iso-8859-2")


class Unreadable(Exception):
    """A file the loader skips; the message says why (one short clause)."""


@dataclass(frozen=True)
class Record:
    """One article as a file states it, before cleaning."""

    key: str | None  # within a multi-article file: the article's id or row number
    raw: str  # the article's text as read (HTML already reduced to text)
    title: str | None = None
    date: str | None = None  # ISO, when the file's metadata gives one
    url: str | None = None
    site: str | None = None  # outlet: site name or host
    lang: str | None = None  # as declared by the file
    has_header: bool = False  # the raw text may start with a ' date YYYY-MM-DD' header


# -- encodings ---------------------------------------------------------------------------
def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a file's bytes: BOMs first, then UTF-8, UTF-16 without BOM, and the
    legacy code page whose decoding reads most like natural text."""
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                raise Unreadable(f"it starts with a {enc} byte-order mark but is not "
                                 f"{enc} text") from None
    try:
        text = data.decode("utf-8")
        if _controls(text) <= 0.01 or len(_CONTROL.findall(text)) <= 16:
            return _CONTROL.sub("", text), "utf-8"  # stray control bytes go, the text stays
    except UnicodeDecodeError:
        pass
    if len(data) % 2 == 0 and b"\x00" in data:  # UTF-16 without a BOM
        decoded = []
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            decoded.append((_plausibility(text), enc, text))
        if decoded and (best := max(decoded))[0] >= 0.5:
            return _CONTROL.sub("", best[2]), best[1]
    if b"\x00" in data:
        raise Unreadable("it is a binary file, not text")
    best: tuple[float, str, str] | None = None
    for enc in _candidates(data):
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        score = _plausibility(text)
        if best is None or score > best[0]:
            best = (score, enc, text)
    if best is None or best[0] < 0.2:
        raise Unreadable("its encoding could not be recognised; save it as UTF-8")
    return _CONTROL.sub("", best[2]), best[1]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _controls(text: str) -> float:
    """Share of control characters other than line breaks and tabs."""
    sample = text[:4000]
    return sum(1 for ch in sample if ch < " " and ch not in "\n\r\t\f") / max(1, len(sample))


def _candidates(data: bytes) -> list[str]:
    from charset_normalizer import from_bytes

    guessed = [m.encoding for m in from_bytes(data[:20000])
               if not m.encoding.startswith("mac")][:3]  # Mac code pages: rare, and confusable
    return list(dict.fromkeys([*guessed, *_LEGACY]))


def _plausibility(text: str) -> float:
    """How much ``text`` reads like prose: the language detector's confidence, minus the
    share of characters outside the scripts and punctuation of the product's languages."""
    from .lang import lang_score

    sample = text[:4000]
    odd = sum(1 for ch in sample if not _usual(ch))
    words = _WORDS.findall(sample)
    mixed = sum(1 for w in words if _LATIN.search(w) and _CYRILLIC.search(w))
    mixed += len(_INNER_SYMBOL.findall(sample))  # "Gr—Ôe": a symbol inside a word
    return (lang_score(sample)[1] - 10 * odd / max(1, len(sample))
            - 2 * mixed / max(1, len(words)))


_WORDS = re.compile(r"[^\W\d_]+")
_INNER_SYMBOL = re.compile(r"(?<=[^\W\d_])[^\w\s\x00-\x7f](?=[^\W\d_])")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _usual(ch: str) -> bool:
    if ch.isascii():
        return ch.isprintable() or ch in "\n\r\t"
    cat = unicodedata.category(ch)
    if cat.startswith("L"):
        name = unicodedata.name(ch, "")
        return name.startswith(("LATIN", "CYRILLIC"))
    return ch in "«»„“”‘’–—…№€£°§©®\u00a0·•\ufeff"


# -- metadata values --------------------------------------------------------------------
def normalise_lang(value: object) -> str | None:
    """'en', 'en-US', 'EN_gb', 'Russian' -> an ISO 639-1 code, or None."""
    if not isinstance(value, str):
        return None
    code = re.split(r"[-_]", value.strip().lower())[0]
    if re.fullmatch(r"[a-z]{2,3}", code):
        return code
    return _LANG_NAMES.get(code)


_LANG_NAMES = {"english": "en", "russian": "ru", "german": "de", "deutsch": "de",
               "turkish": "tr", "türkçe": "tr", "azerbaijani": "az", "русский": "ru"}


def site_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlparse(url if "//" in url else f"//{url}").hostname
    return host.removeprefix("www.") if host else None


# -- readers -----------------------------------------------------------------------------
def read_records(suffix: str, text: str, fields: Mapping[str, tuple[str, ...]] | None = None,
                 problems: list[str] | None = None) -> list[Record]:
    """The article records of a file's decoded text, by its suffix. A JSONL line that is not
    JSON is left out and said in ``problems`` (when given; else the file is Unreadable)."""
    suffix = suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return [Record(None, text, has_header=True)]
    if suffix in HTML_SUFFIXES:
        return [_html_record(text)]
    fields = {attr: (*(fields or {}).get(attr, ()), *names)
              for attr, names in DEFAULT_FIELDS.items()}
    if suffix == ".jsonl":
        bad: list[str] = []
        objects = list(_jsonl_objects(text, bad))
        if bad and (problems is None or not objects):
            raise Unreadable(bad[0])
        if problems is not None:
            problems.extend(bad)
    elif suffix == ".json":
        objects = list(enumerate(_json_objects(text), start=1))
    elif suffix == ".csv":
        objects = list(_csv_rows(text))
    else:
        raise Unreadable(f"{suffix or 'no suffix'} is not a supported format")
    records = [r for n, obj in objects if (r := _object_record(n, obj, fields)) is not None]
    if not records:
        raise Unreadable(f"no object in it has a text field ({', '.join(fields['text'][:3])}, "
                         "...); map the field with record_fields")
    return records


def _html_record(html: str) -> Record:
    import trafilatura

    try:
        found = trafilatura.extract(
            html, output_format="json", with_metadata=True, include_comments=False,
            include_tables=False, deduplicate=False,
            date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception as exc:  # noqa: BLE001 - a malformed page must not stop the run
        raise Unreadable(f"its HTML could not be parsed ({type(exc).__name__})") from None
    if not found:
        raise Unreadable("no article text was found in the HTML page")
    meta = json.loads(found)
    url = meta.get("source") or None
    return Record(
        key=None,
        raw=meta.get("text") or "",
        title=meta.get("title") or None,
        date=normalise_date(meta.get("date")),
        url=url,
        site=meta.get("sitename") or meta.get("source-hostname") or site_of(url)
        or meta.get("hostname") or None,
        lang=normalise_lang(meta.get("language")) or _html_lang(html),
    )


def _html_lang(html: str) -> str | None:
    m = re.search(r"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z_-]+)", html[:5000], re.IGNORECASE)
    return normalise_lang(m.group(1)) if m else None


def _jsonl_objects(text: str, bad: list[str]) -> Iterator[tuple[int, object]]:
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield n, json.loads(line)
            except ValueError:
                bad.append(f"line {n} is not valid JSON")


def _json_objects(text: str) -> list[object]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise Unreadable(f"it is not valid JSON (line {getattr(exc, 'lineno', '?')})") from None
    if isinstance(data, dict):
        for key in ("articles", "items", "data", "results", "entries", "documents"):
            if isinstance(data.get(key), list):
                return data[key]
        return [data]
    if isinstance(data, list):
        return data
    raise Unreadable("it holds neither an object nor a list of objects")


def _csv_rows(text: str) -> Iterator[tuple[int, dict]]:
    csv.field_size_limit(1 << 26)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        yield from enumerate(reader, start=2)  # row 1 is the header
    except csv.Error as exc:
        raise Unreadable(f"it is not valid CSV ({exc})") from None


def _object_record(n: int, obj: object, fields: Mapping[str, tuple[str, ...]]
                   ) -> Record | None:
    if not isinstance(obj, dict):
        return None

    def first(attr: str) -> object:
        for name in fields[attr]:
            value = obj.get(name)
            if isinstance(value, dict):  # NewsAPI: "source": {"id": ..., "name": ...}
                value = value.get("name") or value.get("id")
            if value not in (None, ""):
                return value
        return None

    body = first("text")
    if not isinstance(body, str) or not body.strip():
        return None
    if re.search(r"<(p|div|br|span|h\d)\b", body, re.IGNORECASE):
        body = _fragment_text(body)
    key = first("id")
    url = first("url")
    url = url if isinstance(url, str) else None
    site = first("source")
    title = first("title")
    return Record(
        key=_safe_key(key) if key is not None else str(n),
        raw=body,
        title=" ".join(title.split()) if isinstance(title, str) and title.strip() else None,
        date=normalise_date(first("date")),
        url=url,
        site=str(site) if site is not None else site_of(url),
        lang=normalise_lang(first("lang")),
    )


def _fragment_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed's body field), one line per block element."""
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 - lxml raises several kinds for broken markup
        return fragment
    for el in root.iter("script", "style"):
        el.drop_tree()
    for el in root.iter("br"):
        el.tail = "\n" + (el.tail or "")
    for el in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"):
        el.tail = "\n\n" + (el.tail or "")
    return root.text_content()


def _safe_key(value: object) -> str:
    """An object's own id as a path-safe id component."""
    key = re.sub(r"[^\w.-]+", "-", str(value)).strip("-.")
    return key[:80] or "x"
