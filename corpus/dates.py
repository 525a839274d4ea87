"""Dates in text, in one place: month names in English, German, Russian, Turkish and
Azerbaijani, datelines ('06 September 2023', '05.12.2025'), metadata values (ISO, RFC 2822,
Unix time) and the month words a question or an answer sentence may hold.

The loader dates articles with it; the assistant reads periods in questions with it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

# Per month: names and stems; a stem matches the start of an inflected word ("сентябре",
# "Eylül'de", "марта").
MONTHS: tuple[tuple[str, ...], ...] = (
    ("january", "январ", "januar", "jänner", "ocak", "yanvar"),
    ("february", "феврал", "februar", "şubat", "subat", "fevral"),
    ("march", "март", "märz", "maerz", "mart"),
    ("april", "апрел", "nisan", "aprel"),
    ("may", "май", "мая", "мае", "mai", "mayıs", "mayis"),
    ("june", "июн", "juni", "haziran", "iyun"),
    ("july", "июл", "juli", "temmuz", "iyul"),
    ("august", "август", "ağustos", "agustos", "avqust"),
    ("september", "сентябр", "eylül", "eylul", "sentyabr"),
    ("october", "октябр", "oktober", "ekim", "oktyabr"),
    ("november", "ноябр", "kasım", "kasim", "noyabr"),
    ("december", "декабр", "dezember", "aralık", "aralik", "dekabr"),
)
# Short forms: whole words in running text, prefixes inside a dateline ("Sept. 5, 2025").
ABBREVIATIONS: dict[str, int] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "okt": 10, "nov": 11, "dec": 12, "dez": 12,
}
# Names that are also common words or prefixes of them: whole words only in running text.
EXACT = frozenset({"may", "май", "мая", "мае", "mai", "mart", "ekim"})

_STEM = {stem: n for n, stems in enumerate(MONTHS, start=1) for stem in stems}
_BY_LENGTH = sorted({**_STEM, **ABBREVIATIONS}.items(), key=lambda kv: -len(kv[0]))
_WHOLE = EXACT | set(ABBREVIATIONS)


def month_number(word: str, strict: bool = False) -> int | None:
    """The month a word names, or None. ``strict`` (running text, e.g. a question): short and
    ambiguous names must be the whole word; otherwise (inside a dateline) any known stem or
    abbreviation may start it."""
    w = word.casefold().split("'")[0].split("’")[0]
    for stem, number in _BY_LENGTH:
        if w == stem or (w.startswith(stem) and not (strict and stem in _WHOLE)):
            return number
    return None


def month_regex(group: str | None = None) -> str:
    """A regular expression for one month word in running text (case-insensitive use), with
    the rules of ``month_number(strict=True)``; ``group`` names the capture."""
    words = "|".join(re.escape(s) + ("" if s in _WHOLE else r"\w*")
                     for s, _ in _BY_LENGTH)
    head = f"(?P<{group}>" if group else "(?:"
    return head + f"(?:{words})(?!\\w))(?:['’]\\w+)?"


def iso_date(year: int, month: int, day: int) -> str | None:
    if 1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


_DATELINE = re.compile(r"\b(\d{1,2})\.?\s+([^\W\d_]{3,12})\.?,?\s+(\d{4})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")


def find_dateline(head: str) -> str | None:
    """An ISO date from a dateline such as '06 September 2023' or '05.12.2025', else None."""
    for m in _DATELINE.finditer(head):
        month = month_number(m.group(2))
        if month:
            return iso_date(int(m.group(3)), month, int(m.group(1)))
    if m := _NUMERIC_DATE.search(head):
        return iso_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None


_ISO_PREFIX = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ]|$)")
_YMD = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b")
_DMY = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_MDY_WORDS = re.compile(r"\b([^\W\d_]{3,12})\.?\s+(\d{1,2}),?\s+(\d{4})\b")


def normalise_date(value: object) -> str | None:
    """An ISO date from a metadata value (ISO string, RFC 2822, '05.12.2025', '5 December
    2025', 'Dec 5, 2025', Unix seconds or milliseconds), or None when it is missing or
    ambiguous ('05/12/2025' could be May or December)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(seconds, dt.UTC).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if not text:
        return None
    if m := _ISO_PREFIX.match(text) or _YMD.match(text):
        return iso_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _DMY.match(text):
        day, month = int(m.group(1)), int(m.group(2))
        if "/" in text[:m.end()] and day <= 12 and month <= 12 and day != month:
            return None  # US or European order: not guessed
        return iso_date(int(m.group(3)), month, day)
    if "," in text[:5]:  # RFC 2822: "Fri, 05 Dec 2025 10:00:00 +0000"
        try:
            return email.utils.parsedate_to_datetime(text).date().isoformat()
        except (TypeError, ValueError):
            pass
    if found := find_dateline(text):
        return found
    if (m := _MDY_WORDS.search(text)) and (month := month_number(m.group(1))):
        return iso_date(int(m.group(3)), month, int(m.group(2)))
    return None


def check_date(value: str) -> str:
    """``value`` if it is a real YYYY-MM-DD date; ValueError saying what is wrong otherwise
    (the --since/--until flags, the page's date filter, the HTTP API)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real date: use YYYY-MM-DD") from None
    return value
