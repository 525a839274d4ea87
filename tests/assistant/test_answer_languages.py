"""Every word around an answer is in the question's language (en, ru, de, tr, az, es, uk):
the bubble, the sources panel (its name included), the download and the OpenAI reply. Fast:
answers made by hand, rendered by the page's own functions. The articles' own words are
data ("Qx" here), so any word left that belongs to another language's phrases is a leak."""

from __future__ import annotations

import re
from html import unescape

import pytest

from assistant.app.openai_chat import sources_text
from assistant.app.ui.render import answer_html, sources_html
from assistant.engine.conversation import Turn, conversation_markdown
from assistant.engine.model import Answer, Citation
from assistant.engine.phrases import ENDONYMS, P, say
from index import Chunk
from index.model import Hit

LANGS = ["en", "ru", "de", "tr", "az", "es", "uk"]
DATA = "Qx"  # every title, quote, article text and file name


def words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[^\W\d_]{3,}", text)}


def table_words(lang: str) -> set[str]:
    return words(" ".join(re.sub(r"\{\w+\}", " ", v) for v in P[lang].values()))


def cited(lang: str) -> Turn:
    cite = Citation(n=1, article_id="qx1", title=DATA, date=None, lang="ru", source=DATA,
                    quote=DATA, chunk_id="qx1#0", start=0, end=2, score=0.9,
                    also_reported_in=({"doc_id": "qx2", "title": DATA, "lang": "de",
                                       "date": None, "score": 0.9},))
    ans = Answer("q", f"{DATA} [1]. {DATA} [1]", [cite], True, lang=lang, confidence=0.8,
                 notice=say("doubted", lang, sources="[1]", x=DATA))
    return Turn(DATA, f"{DATA} {DATA}", ans, "2025-01-01")


def refused(lang: str) -> Turn:
    chunk = Chunk("qx3#0", "qx3", DATA, 0, 2, "de", None, DATA, source=DATA)
    ans = Answer("q", say("none_lang", lang, langs=ENDONYMS[lang]), [], False, lang=lang,
                 confidence=0.1)
    ans.closest.append(Hit(chunk, 0.5) if _hit_fields() == 2 else Hit(chunk, 0.5, {}))
    return Turn(DATA, DATA, ans, "")


def _hit_fields() -> int:
    import dataclasses

    return len([f for f in dataclasses.fields(Hit) if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING])


def rendered(lang: str) -> str:
    """All the page, the download and the API say around one cited and one refused answer."""
    turns = [cited(lang), refused(lang), cited(lang)]
    article = {"title": DATA, "text": DATA, "date": None, "lang": "ru", "source": DATA,
               "url": "https://example.org/qx"}
    html = "".join(answer_html(t, i) for i, t in enumerate(turns))
    html += sources_html(turns, lambda doc: article, lambda cid: (0, 2))
    html += sources_html(turns[:2], lambda doc: article, lambda cid: (0, 2))  # a refusal's
    text = re.sub(r"<[^>]+>", " ", html)
    text += " ".join(re.findall(r'title="([^"]*)"', html))  # what a marker says on hover
    text += conversation_markdown(turns[1:]) + sources_text(turns[0].answer)
    return unescape(text).replace("https://example.org/qx", " ")


@pytest.mark.parametrize("lang", LANGS)
def test_every_word_around_an_answer_is_in_the_questions_language(lang):
    text = rendered(lang)
    own = table_words(lang) | words(" ".join(ENDONYMS.values())) | {DATA.casefold()}
    leaks = {other: sorted((words(text) & table_words(other)) - own)
             for other in LANGS if other != lang}
    assert not any(leaks.values()), f"{lang} answer shows words of {leaks}"
    assert not words(text) - own, f"words of no phrase table: {sorted(words(text) - own)}"
    assert say("sources", lang) in text  # the panel's and the download's name


def test_the_check_catches_a_leak():
    """The same check on a Turkish answer with the English panel name put back."""
    text = rendered("tr") + " Sources"
    assert words(text) & table_words("en") - table_words("tr")


def test_a_short_azerbaijani_question_is_not_taken_for_turkish():
    from corpus.lang import _detector, detect_lang

    question = "Kimdir bu şəxs?"  # the detector alone says Turkish (.74)
    assert _detector().detect(question, model="lite", k=1)[0]["lang"] == "tr"
    assert detect_lang(question) == "az"
    assert detect_lang("Kimdir bu şahıs?") == "tr"
