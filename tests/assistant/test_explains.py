"""The assistant explains itself: refusals say why in the question's language, the first
screen says what is indexed and offers questions the index answers, exports say things once.
(tests/ui/test_first_screen.py checks the same in the browser.)"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import gradio as gr
import pytest

from assistant.app.ui.callbacks import Page
from assistant.app.ui.examples import CHECKED, example_questions, overview_html, sources_hint
from assistant.engine.conversation import Turn, conversation_json, conversation_markdown
from assistant.engine.i18n import NOT_FOUND
from assistant.engine.model import Answer, Citation
from assistant.engine.phrases import P, filter_refusal, language_list, refusal_text, say
from assistant.engine.retrieval import Filters

BUNDLED_IDS = ["000_f31eb0e9395e6032", "001_ed54a4ca1d0860c8", "002_4833b406109e9443",
               "003_62d65ec01dcd1763", "004_cc687050a2df2a4e"]


def article(aid, lang="en", date="2025-01-02", title="A title", site=None):
    return {"id": aid, "lang": lang, "date": date, "title": title, "site": site,
            "source": f"{aid}.txt", "n_chunks": 3}


def test_every_language_has_every_phrase_with_the_same_fields():
    fields = {k: sorted(set(re.findall(r"{(\w+)}", v))) for k, v in P["en"].items()}
    for lang, table in P.items():
        assert set(table) == set(P["en"]), lang
        for key, text in table.items():
            assert sorted(set(re.findall(r"{(\w+)}", text))) == fields[key], \
                (lang, key)
    assert set(P) == set(NOT_FOUND)  # every language that refuses in its own words
    assert say("closest_hint", "xx") == say("closest_hint", None) == P["en"]["closest_hint"]


def test_a_filter_refusal_names_the_filter_that_admits_nothing():
    args = ("2024-01-01", "2024-12-31", ("tr",), ("trend.az",), "tr · 2024-01-01 – 2024-12-31")
    assert filter_refusal("en", ["period"], *args) == (
        "Not in the corpus: no indexed article is dated between 2024-01-01 and 2024-12-31.")
    assert filter_refusal("ru", ["lang"], *args) == (
        "В корпусе нет ответа: нет ни одной статьи на языке Türkçe (tr).")
    assert filter_refusal("de", ["source"], *args) == (
        "Nicht im Korpus: kein indexierter Artikel stammt aus trend.az.")
    assert "tr · 2024-01-01 – 2024-12-31" in filter_refusal("tr", [], *args)
    assert filter_refusal("en", ["period"], "2026-01-01", None, (), (), "").endswith(
        "dated on or after 2026-01-01.")
    assert language_list(["ru", "de"]) == "русский (ru), Deutsch (de)"
    assert refusal_text("az") == NOT_FOUND["az"]
    assert "3" in refusal_text("de", 3) and refusal_text("de", 3) != NOT_FOUND["de"]


def test_filters_describe_themselves_in_a_line_any_language_reads():
    assert Filters().describe() == "" and not Filters().active
    f = Filters(("de", "ru"), "2025-01-01", None, frozenset({"a"}), ("news/ru/",))
    assert f.active and f.describe() == "de, ru · 2025-01-01 – … · news/ru/"
    assert Filters(articles=frozenset()).active  # a source that matches nothing filters all


@pytest.mark.slow
def test_refusals_say_why_in_the_questions_language(bundled_assistant):
    ask = bundled_assistant.ask
    a = ask("Wer ist der Generalsekretär der OTS?", filters=Filters(since="2026-01-01"))
    assert not a.answerable and a.text == filter_refusal("de", ["period"], "2026-01-01", None,
                                                         (), (), "")
    a = ask("Кто генеральный секретарь ОТГ?", filters=Filters(langs=("tr",)))
    assert a.text == "В корпусе нет ответа: нет ни одной статьи на языке Türkçe (tr)."
    a = ask("Who is the Secretary-General of the OTS?",
            filters=Filters(articles=frozenset(), sources=("trend.az",)))
    assert a.text == "Not in the corpus: no indexed article comes from trend.az."
    a = ask("Who is the Secretary-General of the OTS?",
            filters=Filters(langs=("de",), since="2025-01-01"))  # each alone admits some
    assert a.text.startswith("Not in the corpus: no indexed article matches these filters "
                             "together (de · 2025-01-01 – …)")
    a = ask("What was the population of the Mars colony in 2019?", filters=Filters(("ru",)))
    assert a.text == refusal_text("en", 3) and a.closest  # 3 Russian articles, none answers
    a = ask("What was the population of the Mars colony in 2019?")
    assert a.text == NOT_FOUND["en"]


def test_examples_are_checked_questions_or_made_from_titles():
    bundled = [article(a) for a in BUNDLED_IDS]
    assert example_questions(bundled) == [q for q, _ in CHECKED]
    other = [article("n1", "de", "2025-03-01", "Neue Brücke in Hamburg eröffnet"),
             article("n2", "de", "2025-01-01", "Älterer deutscher Artikel"),
             article("n3", "ru", "2025-02-01", "Новый мост открыт" + " очень" * 20 + "…"),
             article("n4", "en", None, "Undated English story")]
    qs = example_questions(other)
    assert qs[0] == "Worüber berichtet der Artikel „Neue Brücke in Hamburg eröffnet“?"
    assert qs[1].startswith("О чём сообщает статья «Новый мост открыт") and "…»" in qs[1]
    assert len(qs[1]) < 100 and len(qs) == 3 and qs[2].startswith("What does the article")
    assert example_questions([]) == []


def test_overview_says_what_is_indexed():
    cat = [article("a", "ru", "2023-09-06", site="trend.az"), article("b", "ru", "2025-12-06"),
           article("c", "en", None, site="apa.az")]
    html = overview_html(cat)
    assert "<b>3 articles</b>" in html and "Russian 2, English 1" in html
    assert "2023-09 to 2025-12 (1 undated)" in html and "from apa.az 1, trend.az 1" in html
    assert "Nothing is indexed yet" in overview_html([])
    assert "no site names" in overview_html([article("a")])


class FakeApp:
    """The catalogue-facing side of an Assistant, for the page's load event."""

    def __init__(self, cat, options):
        self.cat, self.options = cat, options
        self.config = SimpleNamespace(store="/nonexistent", corpus="/corpus")
        self.store = SimpleNamespace(generation=lambda: None, remote=False)

    def catalogue(self):
        return self.cat

    def source_options(self, catalogue=None):
        return self.options

    def source_filter(self, sources):
        return None


def test_the_source_filter_says_why_it_is_empty():
    page = Page(FakeApp([article(a) for a in BUNDLED_IDS], []))
    langs, sources, _summary, _table, overview, *buttons = page.on_load()
    assert sources["interactive"] is False and sources["info"] == sources_hint([])
    assert "Nothing to choose" in sources_hint([])
    assert [b["value"] for b in buttons] == [q for q, _ in CHECKED]
    assert "5 articles" in overview
    page = Page(FakeApp([article("x", "de")], ["news/"]))
    _, sources, *_rest, overview, b1, b2, b3, b4 = page.on_load()
    assert sources["interactive"] is True and sources["choices"] == ["news/"]
    assert b1["visible"] and not b2["visible"]  # one language, one example
    assert len(page.on_load()) == Page.LOADED


def test_an_upload_that_adds_nothing_leaves_every_loaded_component_alone(tmp_path):
    page = Page(FakeApp([article("x", "de")], []))
    page.app.config.corpus = str(tmp_path)
    for files in (None, [str(tmp_path / "notes.exe")]):  # no file; not an article file
        out = page.upload_clicked(files)
        assert len(out) == 1 + Page.LOADED  # the status, then every output of on_load
        assert all(o == gr.skip() for o in out[1:])


def test_exports_say_a_refusal_once_and_keep_every_citation():
    quote = "Kubanychbek Omuraliev leads the OTS."
    cite = Citation(n=1, article_id="a1", title="T", date="2025-12-06", lang="en",
                    source="a1.txt", quote=quote, chunk_id="a1#0", start=10,
                    end=10 + len(quote), score=0.9)
    turns = [Turn("Who leads the OTS?", "Who leads the OTS?",
                  Answer("Who leads the OTS?", f"{quote} [1]", [cite], True, lang="en"), ""),
             Turn("Mars?", "Mars?", Answer("Mars?", NOT_FOUND["ru"], [], False, lang="ru"),
                  "ru")]
    md = conversation_markdown(turns)
    assert md.count("ни одна из") == 1 and "Not in the corpus" not in md
    data = json.loads(json.dumps(conversation_json(turns), ensure_ascii=False))
    one, two = data["turns"]
    assert one["question"] == "Who leads the OTS?" and one["citations"][0]["quote"] == quote
    assert (one["citations"][0]["start"], one["citations"][0]["end"]) == (10, 10 + len(quote))
    assert two["answerable"] is False and two["filters"] == "ru" and two["answer"] == NOT_FOUND[
        "ru"]


def test_the_waiting_line_follows_the_question_and_a_closed_page_frees_the_store():
    page = Page(FakeApp([article("x")], []))
    asking = page.respond("Кто возглавляет ОТГ сегодня?", [], [], "", "", [])
    first = next(asking)
    assert say("searching", "ru") in first[0][-1]["content"] and page.lock.locked()
    asking.close()  # the browser went away before retrieval: the store is given back
    assert not page.lock.locked()
    page.lock.acquire()  # a re-index holds the store
    try:
        first = next(page.respond("Wer leitet die Organisation der Turkstaaten?", [], [], "",
                                  "", []))
        assert say("busy", "de") in first[0][-1]["content"]
    finally:
        page.lock.release()
