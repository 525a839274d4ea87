"""Remove scraped page furniture: the lines around an article that are obviously not its text.

Works on whole lines, so every line kept is verbatim from the file. The rules are
deliberately conservative (a line of article text must never go):

* the *header*: lines before the first body paragraph; only the headline (the line just
  before the body, or before the dateline and furniture lines that follow it, when it looks
  like a heading) is kept; navigation, tickers, teaser headlines of other stories, category
  labels and datelines go;
* *furniture lines* anywhere: timestamps and date lines, photo credits and captions,
  advertisement labels, "Read also: ..." teasers, bullets holding only a date, currency
  tickers, subscribe/social/newsletter calls, "Read: 629" counters, copyright lines;
* the *tail*: everything from a "Latest news"/"Tags:"/"Newsticker" marker on, and short
  lines after the last body paragraph that are not sentences (tag lists, related headlines);
* repeated lines (a headline printed twice) keep their first occurrence only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…:»\"“”)]\s*$")

_FURNITURE = [
    r"\d{1,2}:\d{2}",  # a bare time stamp
    r"(photo|video|фото|видео|foto|fotoğraf)( ?\d+)?",
    r"[•·|\-–—]\s*.{0,40}",  # a bullet with a short label (date, time, category)
    r"(USD|EUR|RUB|GBP|AZN|TRY|KZT|CNY|JPY|CHF)\s*[-+]?\d+([.,]\d+)?(\s*[-+]?\d+([.,]\d+)?%?)?",
    r".*\b(gelesen|просмотр(ов|ы)?|views?|oxunub)\s*:?\s*\d+.*",
    r"(tags?|теги|метки|schlagw[öo]rter|etiketler|teqlər)\s*:?",
    r"(share|поделиться|teilen|paylaş)\b.{0,60}",
    # photo credits and captions' sources: "Photo: Reuters/Name", "Фото: пресс-служба"
    r"(photo|picture|image|фото|видео|foto|fotoğraf|bild)( caption)?\s*[:/©].{0,80}",
    r"(caption|bildunterschrift|подпись к фото)\s*:.{0,80}",
    # a line holding only a date and/or time: "06.09.2023 10:15", "September 6, 2023 | 10:15 GMT"
    r"[\d.,/:|\s-]*\d[\d.,/:|\s-]*(\s*(gmt|utc|uhr|msk))?",
    r"[\w.]{3,12}\s+\d{1,2},?\s+\d{4}([\s|,-]+\d{1,2}:\d{2}(\s*(gmt|utc|am|pm))?)?",
    r"(advertisement|anzeige|werbung|реклама|reklam|reklama|sponsored)",
    # a teaser of another story: "Read also: ...", "Читайте также: ..."
    r"(read (also|more)|see also|lesen sie (auch|mehr)|читайте (также|еще|ещё)|см\. также|"
    r"ayrıca (okuyun|bakınız)|bunu da okuyun|həmçinin (oxuyun|bax))\s*:.{0,160}",
    r"(©|\(c\)|copyright\b).{0,160}",
    r".{0,120}\b(all rights reserved|alle rechte vorbehalten|все права защищены|"
    r"tüm hakları saklıdır|bütün hüquqlar qorunur)\b.{0,120}",
]
_FURNITURE_RE = [re.compile(rf"^\s*(?:{p})\s*$", re.IGNORECASE) for p in _FURNITURE]
_SOCIAL = re.compile(
    r"(подписывайтесь|подпишитесь|subscribe|sign up|abonnieren|abone ol|izləyin|follow us|"
    r"следите за нами|takip edin)"
    r".{0,80}(whatsapp|telegram|канал|channel|kanal|youtube|facebook|instagram|twitter|x\.com|"
    r"newsletter|рассылк|bülten|google)",
    re.IGNORECASE,
)
_TAIL_MARKERS = re.compile(
    r"^\s*(latest news|all news feed|related news|read also|more news|newsticker|"
    r"последние новости|читайте также|лента новостей|все новости|другие новости|"
    r"neueste nachrichten|weitere nachrichten|das könnte sie auch interessieren|"
    r"son xəbərlər|son dakika|son haberler|tags?|теги|"
    r"most read|meistgelesen|mehr zum thema|по теме|похожие новости|ilgili haberler|"
    r"oxşar xəbərlər)\s*:?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[Line]:
    out = []
    for m in re.finditer(r"[^\n]+", text):
        stripped = m.group().strip()
        if stripped:
            offset = m.group().index(stripped)
            out.append(Line(m.start() + offset, m.start() + offset + len(stripped), stripped))
    return out


def is_body(line: str) -> bool:
    """A paragraph of running text: several words ending like a sentence."""
    return len(_WORD.findall(line)) >= 12 and bool(_SENTENCE_END.search(line))


def _is_sentence(line: str) -> bool:
    """A closing line of text: a few words ending with sentence punctuation."""
    return len(_WORD.findall(line)) >= 4 and line.rstrip().endswith((".", "!", "?", "…", "»", '"'))


def is_furniture(line: str) -> bool:
    return any(r.match(line) for r in _FURNITURE_RE) or bool(_SOCIAL.search(line))


def _is_heading(line: str) -> bool:
    n = len(_WORD.findall(line))
    return 3 <= n <= 30 and not line.endswith((".", ":")) and not is_furniture(line)


@dataclass(frozen=True)
class Cleaned:
    headline: str | None  # the heading kept from the header, if any
    kept: list[Line]  # the lines of article text, in order, offsets into the raw text


def clean(raw: str) -> Cleaned:
    """Split ``raw`` into kept article lines (with offsets) and drop the furniture."""
    lines = _lines(raw)
    body_idx = [i for i, ln in enumerate(lines) if is_body(ln.text)]
    if not body_idx:  # no running text at all: keep what is not obviously furniture
        kept = [ln for ln in lines if not is_furniture(ln.text)]
        return Cleaned(kept[0].text if kept else None, _dedupe(kept))
    first, last = body_idx[0], body_idx[-1]
    kept: list[Line] = []
    headline = None
    h = first - 1
    while h > 0 and h >= first - 3 and is_furniture(lines[h].text):  # dateline, "Photo"
        h -= 1
    if h >= 0 and _is_heading(lines[h].text):
        headline = lines[h].text
        kept.append(lines[h])
    for i in range(first, len(lines)):
        ln = lines[i]
        if _TAIL_MARKERS.match(ln.text):
            break
        if i > last and not _is_sentence(ln.text):
            continue  # tag lists, related headlines, captions after the story
        if is_furniture(ln.text):
            continue
        kept.append(ln)
    return Cleaned(headline, _dedupe(kept))


def _dedupe(lines: list[Line]) -> list[Line]:
    seen: set[str] = set()
    out = []
    for ln in lines:
        key = " ".join(ln.text.split()).casefold()
        if key not in seen:
            seen.add(key)
            out.append(ln)
    return out
