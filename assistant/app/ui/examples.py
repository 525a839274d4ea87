"""What the first screen says: what is indexed, and example questions to click.

Pure functions of the catalogue (the indexed articles' metadata). Example questions are
hand-checked ones from the seed test set when the articles they ask about are indexed (the
bundled corpus), else one per language made from the newest articles' titles.
"""

from __future__ import annotations

import re
from collections import Counter
from html import escape

from assistant.engine.i18n import LANG_NAMES

# (question, the articles that answer it): seed test-set items en-06, ru-05, de-08 and
# tr-01, which the default answerer (the reader) answers with the right short answer and
# quote (checked by hand, 2026-12-04).
CHECKED = [
    ("Which company did the Azerbaijani delegation visit in Türkiye?",
     {"003_62d65ec01dcd1763"}),
    ("Где проходило 12-е заседание совместной постоянной комиссии Азербайджана и Турции?",
     {"003_62d65ec01dcd1763"}),
    ("Wer war im September 2023 aserbaidschanischer Minister für Arbeit und Sozialschutz?",
     {"004_cc687050a2df2a4e"}),
    ("Türk Devletleri Teşkilatı Genel Sekreteri kimdir?",
     {"000_f31eb0e9395e6032", "001_ed54a4ca1d0860c8", "002_4833b406109e9443"}),
]
ABOUT = {"en": "What does the article “{t}” report?",
         "ru": "О чём сообщает статья «{t}»?",
         "de": "Worüber berichtet der Artikel „{t}“?",
         "tr": "“{t}” haberi ne anlatıyor?",
         "az": "“{t}” xəbəri nədən bəhs edir?",
         "es": "¿Qué informa el artículo «{t}»?",
         "uk": "Про що повідомляє стаття «{t}»?"}
MAX_EXAMPLES = 4


def example_questions(cat: list[dict]) -> list[str]:
    """Up to four questions in different languages that this index can answer."""
    ids = {a["id"] for a in cat}
    checked = [q for q, docs in CHECKED if docs & ids]
    if len(checked) >= 3:
        return checked[:MAX_EXAMPLES]
    out, langs = [], set()
    for a in sorted(cat, key=lambda a: a.get("date") or "", reverse=True):
        lang = a.get("lang") or "en"
        if lang in langs or not a.get("title"):
            continue
        title = a["title"].rstrip("….").strip()
        title = title if len(title) <= 60 else title[:60].rsplit(" ", 1)[0] + "…"
        out.append(ABOUT.get(lang, ABOUT["en"]).format(t=title))
        langs.add(lang)
        if len(out) == MAX_EXAMPLES:
            break
    return out


def _most(counts: Counter) -> list[tuple[str, int]]:
    """Most first; ties in alphabetical order (the same line on every load)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))


def _month(date: str | None) -> str:
    return date[:7] if date else ""


def overview_html(cat: list[dict]) -> str:
    """One line on what is indexed: articles, languages, dates and sources."""
    if not cat:
        return ("<div class='overview empty'>Nothing is indexed yet: add articles in the "
                "Corpus tab, or run <code>python -m assistant index</code>.</div>")
    langs = Counter(a.get("lang") or "?" for a in cat)
    lang_text = ", ".join(f"{LANG_NAMES.get(k, k)} {n}" for k, n in _most(langs))
    dates = sorted(a["date"] for a in cat if a.get("date"))
    when = (f"{_month(dates[0])} to {_month(dates[-1])}" if dates else "undated")
    undated = len(cat) - len(dates)
    if dates and undated:
        when += f" ({undated} undated)"
    sites = Counter(a["site"] for a in cat if a.get("site"))
    if sites:
        top = ", ".join(f"{escape(s)} {n}" for s, n in _most(sites)[:3])
        more = len(sites) - 3
        where = f"from {top}" + (f" and {more} more" if more > 0 else "")
    else:
        where = "no site names in the files"
    return (f"<div class='overview'><b>{len(cat)} article{'s' * (len(cat) != 1)}</b> "
            f"indexed · {escape(lang_text)} · {escape(when)} · {where}. "
            "Ask in English, Russian, German, Turkish or Azerbaijani; answers quote their "
            "sources as [1], [2].</div>")


def page_title(cat: list[dict]) -> tuple[str, str]:
    """The page's title and link-preview description: the product and what it has read."""
    if not cat:
        return "News assistant", "Ask questions about news articles; answers cite passages."
    langs = ", ".join(k for k, _ in _most(Counter(a.get("lang") or "?" for a in cat)))
    dates = sorted(a["date"] for a in cat if a.get("date"))
    when = f"{_month(dates[0])} to {_month(dates[-1])}" if dates else ""
    n = f"{len(cat)} news article{'s' * (len(cat) != 1)}"
    return (f"News assistant · {n} ({langs})" + (f", {when}" if when else ""),
            f"Ask questions about {n} in {langs}" + (f" ({when})" if when else "")
            + ": every answer cites the passages it rests on, or says the articles do not "
            "answer it.")


_PREVIEW = re.compile(r'\s*<meta\s+(?:property|name)="(?:og|twitter):[^"]*"[^>]*>'
                      r"|\s*<title>[^<]*</title>")


def with_preview(page: str, title: str, description: str) -> str:
    """The page's HTML with its own <title> and link preview (Open Graph, Twitter) in place
    of Gradio's, which name Gradio: a chat app or crawler reads them without running JS."""
    t, d = escape(title, quote=True), escape(description, quote=True)
    tags = (f'<title>{t}</title><meta property="og:title" content="{t}">'
            f'<meta property="og:description" content="{d}">'
            '<meta property="og:type" content="website">'
            f'<meta name="twitter:card" content="summary"><meta name="twitter:title" '
            f'content="{t}"><meta name="twitter:description" content="{d}">'
            f'<meta name="description" content="{d}">')
    page = _PREVIEW.sub("", page)
    return re.sub(r"<head[^>]*>", lambda m: m.group(0) + tags, page, count=1)


def sources_hint(options: list[str]) -> str:
    if options:
        return "A site, or a folder of the corpus (ends with /)."
    return ("Nothing to choose here: these articles carry no site name and sit in one "
            "folder.")
