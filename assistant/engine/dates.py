"""Periods named in a question: "in September 2023", "last December", "in 2025", in English,
Russian, German, Turkish and Azerbaijani. The retriever boosts chunks of articles dated inside
the period (a boost, not a filter: an article about September may be dated in October).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from corpus.dates import month_number, month_regex

_MONTH = month_regex("month")
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_LAST = (r"(?:last|previous|past|прошл\w*|минувш\w*|letzt\w*|vergangen\w*|vorig\w*|geçen|"
         r"gecen|keçən|kecen)")
_THIS = r"(?:this|current|этом|текущем|dies\w*|laufend\w*|bu)"
_YEAR_WORD = r"(?:year|году|год|jahr\w*|yıl\w*|yil\w*|sene\w*|il|ildə)"
_MONTH_WORD = r"(?:month|месяц\w*|monat\w*|ay|ayda)"

_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b", re.IGNORECASE)
_YEAR_MONTH = re.compile(rf"\b{_YEAR}\s+{_MONTH}", re.IGNORECASE)  # "2023 Eylül ayında"
_LAST_MONTH_NAME = re.compile(rf"\b{_LAST}\s+{_MONTH}", re.IGNORECASE)
_LAST_YEAR = re.compile(rf"\b{_LAST}\s+{_YEAR_WORD}\b", re.IGNORECASE)
_THIS_YEAR = re.compile(rf"\b{_THIS}\s+{_YEAR_WORD}\b", re.IGNORECASE)
_LAST_MONTH = re.compile(rf"\b{_LAST}\s+{_MONTH_WORD}\b", re.IGNORECASE)
_BARE_YEAR = re.compile(r"(?<![\d.-])" + _YEAR + r"(?![\d.-]\d)")


def _month_range(year: int, month: int) -> tuple[str, str]:
    last = calendar.monthrange(year, month)[1]
    return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{last:02d}"


def _year_range(year: int) -> tuple[str, str]:
    return f"{year:04d}-01-01", f"{year:04d}-12-31"


def question_period(question: str, today: date | None = None) -> tuple[str, str] | None:
    """The (first day, last day) of the period a question names, as ISO dates, or None."""
    today = today or date.today()
    for pattern in (_MONTH_YEAR, _YEAR_MONTH):
        m = pattern.search(question)
        if m:
            month = month_number(m.group("month"), strict=True)
            if month:
                return _month_range(int(m.group("year")), month)
    m = _LAST_MONTH_NAME.search(question)
    if m:
        month = month_number(m.group("month"), strict=True)
        if month:
            year = today.year if month < today.month else today.year - 1
            return _month_range(year, month)
    if _LAST_MONTH.search(question):
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return _month_range(year, month)
    if _LAST_YEAR.search(question):
        return _year_range(today.year - 1)
    if _THIS_YEAR.search(question):
        return _year_range(today.year)
    m = _BARE_YEAR.search(question)
    if m:
        return _year_range(int(m.group("year")))
    return None
