"""The logic behind the chat page, without a browser: follow-ups, feedback lines, export,
HTML escaping and highlighting, filters, uploads, login parsing. (tests/ui drives the page.)"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.app.ui.render import _marked, answer_html, sources_html
from assistant.engine.conversation import (
    Turn,
    append_jsonl,
    conversation_markdown,
    feedback_record,
)
from assistant.engine.followup import contextual_question, is_follow_up
from assistant.engine.model import Answer, Citation
from corpus import UsageError
from eval.testset import load_testset, parse_item
from index import Chunk, Hit

TEXT = ("Intro line.\nKubanychbek Omuraliev <b>leads</b> the OTS. He met ministers in Baku. "
        "The end.")
DOC = "a1"


def citation(n: int, sentence: str, doc: str = DOC, also=()) -> Citation:
    start = TEXT.index(sentence)
    return Citation(n=n, article_id=doc, title="Title <i>x</i>", date="2025-12-06", lang="en",
                    source="a1.txt", quote=sentence, chunk_id=f"{doc}#0", start=start,
                    end=start + len(sentence), score=0.9, also_reported_in=tuple(also))


def answered(question="Who leads the OTS?") -> Turn:
    s1 = "Kubanychbek Omuraliev <b>leads</b> the OTS."
    s2 = "He met ministers in Baku."
    ans = Answer(question, f"{s1} [1] {s2} [2]", [citation(1, s1), citation(2, s2)], True,
                 lang="en")
    return Turn(question, question, ans, "languages en")


def refused() -> Turn:
    chunk = Chunk("b#0", "b", "Weather <script>x</script> in Hamburg", 0, 36, "de",
                  "2025-01-01", "Wetter")
    ans = Answer("Mars?", "Not found in the corpus.", [], False, lang="en",
                 closest=[Hit(chunk, 0.1, 1)])
    return Turn("Mars?", "Mars?", ans, "")


@pytest.mark.parametrize("question", [
    "And what did the Turkish minister say?",
    "What about the German delegation?",
    "А что сказал турецкий министр?",
    "Und was hat er gesagt?",
    "Peki Türk bakan ne dedi?",
    "Bəs Türkiyə naziri nə dedi?",
    "When did they sign it?",
])
def test_follow_ups_are_recognised(question):
    assert is_follow_up(question)


@pytest.mark.parametrize("question,previous,standalone", [
    # a full question after a connective stands alone: the previous one must not crowd it out
    ("And who led the Uzbek delegation?",
     "Who is the Secretary-General of the Organization of Turkic States?",
     "Who led the Uzbek delegation?"),
    ("Und wer leitete die usbekische Delegation?", "Wer ist der Generalsekretär der OTS?",
     "Wer leitete die usbekische Delegation?"),
    # an ellipsis re-aims the previous question: its name or year gives way
    ("And Turkmenistan?", "Who spoke for Uzbekistan in Baku?",
     "Who spoke for Turkmenistan in Baku?"),
    ("And in 2023?", "Who led the Uzbek delegation in 2025?",
     "Who led the Uzbek delegation in 2023?"),
    ("Bəs Qazaxıstan?", "Özbək nümayəndə heyətinə kim rəhbərlik edib?",
     "Özbək nümayəndə heyətinə kim rəhbərlik edib? Qazaxıstan?"),
    # a pronoun gets the previous question's names
    ("What did he say about DOST?", "Who is Oguzhan Hasipoglu?",
     "What did he say about DOST? (Oguzhan Hasipoglu)"),
    ("А что он сказал?", "Кто такой Джамшид Абруев?", "Что он сказал? (Джамшид Абруев)"),
    # nothing to take a name from: the previous question stays as context
    ("А с каким министром они встречались?", "Кто возглавлял узбекскую делегацию?",
     "Кто возглавлял узбекскую делегацию? С каким министром они встречались?"),
])
def test_follow_ups_become_standalone_questions(question, previous, standalone):
    assert contextual_question(question, ["an older question", previous]) == standalone


@pytest.mark.parametrize("question", [
    "Who is the Secretary-General of the OTS?",
    "Wer leitete die usbekische Delegation?",
    "Кто возглавил делегацию Узбекистана?",
])
def test_standalone_questions_are_asked_as_they_are(question):
    assert not is_follow_up(question)
    assert contextual_question(question, ["Who met in Baku?"]) == question


def test_the_context_is_the_previous_question_only_and_bounded():
    assert contextual_question("And he?", []) == "And he?"
    long = " ".join(f"w{i}" for i in range(100))
    q = contextual_question("And he?", ["first question", long])
    assert q.startswith("w60 ") and q.endswith("w99 He?") and "first" not in q


def test_feedback_lines_are_test_set_items():
    up = feedback_record(answered(), "up", "good")
    item = parse_item(up, "feedback")
    assert item.answerable and item.expected_docs == (DOC,)
    assert "[1]" not in up["reference"] and "Omuraliev" in up["reference"]
    assert up["feedback"]["rating"] == "up" and "needs_review" not in up
    assert up["feedback"]["citations"][0]["quote"].startswith("Kubanychbek")
    down = feedback_record(refused(), "down", " wrong: it is in the corpus ")
    assert down["needs_review"] is True and down["feedback"]["comment"] == (
        "wrong: it is in the corpus")


def test_a_dislike_never_keeps_the_rejected_answer_as_the_expected_one():
    down = feedback_record(answered(), "down", "it is Omuraliev's deputy")
    assert down["needs_review"] is True
    assert not {"answerable", "expected_docs", "reference", "must_mention"} & set(down)
    rejected = down["feedback"]["rejected"]  # kept for the reviewer only
    assert rejected["answer"] == answered().answer.text
    assert rejected["citations"][0]["doc_id"] == DOC
    with pytest.raises(UsageError, match="lacks answerable, expected_docs"):
        parse_item(down, "feedback")  # not a test item until reviewed


def test_feedback_appends_whole_lines_from_many_writers(tmp_path):
    path = tmp_path / "store" / "feedback.jsonl"
    turn = answered()

    def write(i: int) -> None:
        for j in range(25):
            append_jsonl(path, {**feedback_record(turn, "up"), "id": f"f{i}-{j}"})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    items = load_testset(path)  # every line parses: none torn or interleaved
    assert len(items) == 200 and len({i.id for i in items}) == 200


def test_markdown_export_has_answers_sources_and_refusals():
    md = conversation_markdown([answered(), refused()])
    assert md.startswith("# Conversation")
    assert "## 1. Who leads the OTS?" in md and "*Filters: languages en*" in md
    assert "> Kubanychbek Omuraliev <b>leads</b> the OTS." in md
    assert "**Not found in the corpus.**" in md and "Closest passages found" in md


def test_answer_bubble_escapes_text_and_links_markers():
    turn = answered()
    out = answer_html(turn, 3)
    assert "&lt;b&gt;leads&lt;/b&gt;" in out and "<b>leads" not in out
    assert out.count('class="cite"') == 2 and 'href="#src-3-2"' in out
    assert 'class="answer done"' in out and "Filters: languages en" in out
    partial = answer_html(turn, 3, shown="Kubanychbek Omuraliev", done=False)
    assert 'class="answer streaming"' in partial and "cite" not in partial
    ref = answer_html(refused(), 0)
    assert 'class="refusal done"' in ref and "Not found in the corpus." in ref
    follow = Turn("And he?", "Who? And he?", turn.answer, "")
    assert "Follow-up" in answer_html(follow, 0) and "Who? And he?" in answer_html(follow, 0)


def test_highlights_merge_overlapping_quotes():
    out = _marked("abcdefghij", [(2, 5, 1), (4, 7, 2), (8, 9, 3)], active=2)
    assert out == ('ab<mark class="q active" data-ns="1 2">cdefg</mark>h'
                   '<mark class="q" data-ns="3">i</mark>j')
    assert _marked("<a>", [(0, 3, 1)]) == '<mark class="q" data-ns="1">&lt;a&gt;</mark>'


def test_sources_panel_highlights_quotes_and_embeds_escaped_articles():
    rec = {"id": DOC, "title": "T <script>", "date": "2025-12-06", "lang": "en",
           "site": None, "source": "a1.txt", "url": "javascript:alert(1)", "text": TEXT}
    other = {**rec, "id": "r1", "lang": "ru", "text": "Омуралиев", "url": None}
    also = [{"doc_id": "r1", "title": "Омуралиев", "date": "2025-12-06", "lang": "ru",
             "score": 0.9}]
    turn = answered()
    turn.answer.citations[0] = citation(1, "Kubanychbek Omuraliev <b>leads</b> the OTS.",
                                        also=also)
    html = sources_html([turn], {DOC: rec, "r1": other}.get, lambda cid: (0, len(TEXT)))
    assert html.count('class="src"') == 2
    assert '<mark class="q" data-ns="1">Kubanychbek Omuraliev &lt;b&gt;leads' in html
    assert html.count('class="article-full" hidden') == 2  # the cited one and the also-one
    assert "<script>" not in html and "&lt;b&gt;" in html
    assert "javascript:" not in html  # only http(s) links to the original
    assert 'class="also-link"' in html and 'data-doc="r1"' in html
    # while streaming, a source appears with its first marker
    assert sources_html([turn], {DOC: rec, "r1": other}.get, lambda c: None,
                        upto=1).count('class="src"') == 1
    refusal = sources_html([refused()], lambda d: None, lambda c: None)
    assert "Closest passages found" in refusal and "&lt;script&gt;" in refusal
    two = sources_html([turn, refused()], {DOC: rec, "r1": other}.get, lambda c: None)
    assert two.index("Closest passages") < two.index("<details")


# -- the page's callbacks around a fake assistant (fast) -------------------------------------
@pytest.fixture
def page(tmp_path):
    from assistant.app.ui.callbacks import Page

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    app = SimpleNamespace(
        config=SimpleNamespace(store=str(tmp_path / "store"), corpus=str(corpus)),
        source_filter=lambda sources: frozenset({"x"}) if sources else None,
        store=SimpleNamespace(remote=False))
    return Page(app)


def test_filters_are_checked_and_described(page):
    flt, shown = page.filters(["de", "ru"], " 2025-01-01 ", "", ["Trend"])
    assert flt.langs == ("de", "ru") and flt.since == "2025-01-01" and flt.until is None
    assert flt.articles == frozenset({"x"})
    assert shown == "de, ru · 2025-01-01 – … · Trend"
    assert page.filters([], "", "", [])[1] == ""
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        page.filters([], "2025-13-01", "", [])
    with pytest.raises(UsageError, match="empty"):
        page.filters([], "2025-02-01", "2025-01-01", [])


def test_uploads_never_overwrite_and_are_written_whole(page, tmp_path):
    up = tmp_path / "up"
    up.mkdir()
    (up / "new.txt").write_text("Ein Artikel.", encoding="utf-8")
    (up / "tool.exe").write_bytes(b"MZ")
    msg, added = page.upload([str(up / "new.txt"), str(up / "tool.exe")])
    target = Path(page.app.config.corpus) / "uploads"
    assert added and (target / "new.txt").read_text(encoding="utf-8") == "Ein Artikel."
    assert "tool.exe: not an article file" in msg and not (target / "tool.exe").exists()
    msg, added = page.upload([str(up / "new.txt")])
    assert not added and "already in the corpus" in msg
    (up / "new.txt").write_text("Ein anderer Artikel.", encoding="utf-8")
    msg, added = page.upload([str(up / "new.txt")])
    assert not added and "rename it" in msg
    assert (target / "new.txt").read_text(encoding="utf-8") == "Ein Artikel."
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]  # no partial files
    with pytest.raises(UsageError, match="no file chosen"):
        page.upload([])


def test_a_rating_appends_the_rated_answer(page):
    turns = [answered("First?"), answered("Second?")]
    status, comment = page.like(turns, "too long", SimpleNamespace(index=3, liked=False))
    line = json.loads(page.feedback_path.read_text(encoding="utf-8"))
    assert line["question"] == "Second?" and line["feedback"]["rating"] == "down"
    assert line["feedback"]["comment"] == "too long"
    assert "answer 2" in status and comment == ""
    page.like(turns, "", SimpleNamespace(index=[1, 0], liked=True))
    lines = page.feedback_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["question"] == "First?"


def test_login_is_user_colon_password():
    from assistant.engine.config import parse_auth

    assert parse_auth("alice:s3:cret") == ("alice", "s3:cret")
    assert parse_auth(None) is None and parse_auth("") is None
    for bad in ("alice", ":pw", "alice:"):
        with pytest.raises(UsageError, match="user:password"):
            parse_auth(bad)


@pytest.mark.slow
def test_source_and_folder_filters_restrict_retrieval(bundled_assistant):
    from assistant.engine.retrieval import Filters

    assert bundled_assistant.source_filter([]) is None
    assert bundled_assistant.source_filter(["nowhere/"]) == frozenset()
    only = frozenset({"004_cc687050a2df2a4e"})
    hits = bundled_assistant.search("labour minister meeting in Baku", k=5,
                                    filters=Filters(articles=only))
    assert hits and {h.chunk.article_id for h in hits} == set(only)
    assert bundled_assistant.search("labour minister", k=5,
                                    filters=Filters(articles=frozenset())) == []
    ans = bundled_assistant.ask("What is the population of Mars?")
    assert not ans.answerable and 1 <= len(ans.closest) <= 3


def test_the_link_preview_replaces_gradios():
    from assistant.app.ui.examples import page_title, with_preview

    cat = [{"lang": "ru", "date": "2025-12-06"}, {"lang": "ru", "date": "2023-09-06"},
           {"lang": "de", "date": None}]
    title, about = page_title(cat)
    assert title == "News assistant · 3 news articles (ru, de), 2023-09 to 2025-12"
    page = ('<html><head><meta charset="utf-8"><meta property="og:title" content="Gradio" />'
            '<meta name="twitter:creator" content="@Gradio" /><title>Gradio</title>'
            '<link rel="icon"></head><body>x</body></html>')
    out = with_preview(page, title, about + ' <script>"')
    assert "Gradio" not in out and out.count("<title>") == 1
    assert f"<title>{title}</title>" in out and "&lt;script&gt;&quot;" in out
    assert out.index("<title>") < out.index("</head>") and "<body>x</body>" in out


def test_the_corpus_tab_names_its_folders_without_the_servers_paths():
    from assistant.app.ui.render import corpus_html

    cat = [{"lang": "ru", "date": "2025-12-06", "n_chunks": 3}]
    shown = corpus_html(cat, "2026-12-06 07:00:00", "/srv/news/articles", "/srv/news/store/")
    assert "<code>articles</code>" in shown and "<code>store</code>" in shown
    assert "/srv" not in shown
    remote = corpus_html(cat, "now", "/srv/news/articles", "http://chroma:8000")
    assert "<code>http://chroma:8000</code>" in remote
