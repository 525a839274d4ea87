import pytest

from assistant.engine.answer import answer_type_ok
from assistant.engine.config import load_config
from assistant.engine.i18n import not_found
from assistant.engine.retrieval import Filters
from corpus import UsageError
from index import Chunk


def test_config_layers_defaults_toml_env_flags(tmp_path):
    toml = tmp_path / "assistant.toml"
    toml.write_text('store = "from-toml"\nk = 7\nembedders = ["use"]\n')
    cfg = load_config(toml, env={})
    assert (cfg.store, cfg.k, cfg.embedders) == ("from-toml", 7, ["use"])
    cfg = load_config(toml, env={"ASSISTANT_STORE": "from-env", "ASSISTANT_EMBEDDERS": "a,b",
                                 "ASSISTANT_AUTH": "u:p"})
    assert (cfg.store, cfg.embedders) == ("from-env", ["a", "b"])
    cfg = load_config(toml, env={"ASSISTANT_STORE": "from-env"}, store="from-flag", k=None)
    assert (cfg.store, cfg.k) == ("from-flag", 7)


def test_embedder_weights_parse(tmp_path):
    cfg = load_config(tmp_path / "none.toml", env={"ASSISTANT_EMBEDDER_WEIGHTS": "use=0.5, x=2"})
    assert cfg.model_weights() == {"use": 0.5, "x": 2.0}


@pytest.mark.parametrize("toml,match", [
    ("k = 0\n", "k must be between 1 and 100"),
    ('mode = "llm"\n', "mode 'llm' needs llm_model"),
    ("colour = 1\n", "unknown setting 'colour'"),
    ("k = [\n", "not valid TOML"),
    ('k = "many"\n', "not a valid int"),
    ('embedder_weights = ["use:0.8"]\n', "is not name=weight"),
])
def test_bad_config_is_one_clear_error(tmp_path, toml, match):
    p = tmp_path / "assistant.toml"
    p.write_text(toml)
    with pytest.raises(UsageError, match=match):
        load_config(p, env={})


@pytest.mark.parametrize("question,sentence,ok", [
    ("How many people live in Uzbekistan?", "Uzbekistan took part in the 2025 meeting.", False),
    ("How many people live in Uzbekistan?", "Some 36 million people live there.", True),
    ("Сколько стран участвовало?", "Участвовали 5 стран.", True),
    ("When did the meeting take place?", "It took place on 6 December.", True),
    ("Wann fand das Treffen statt?", "Das Treffen war wichtig.", False),
    ("Wie oft wurde er gelesen?", "Der Artikel über Usbekistan.", False),
    ("Who met in Baku?", "The ministers met in Baku.", True),
])
def test_answer_type_check(question, sentence, ok):
    assert answer_type_ok(question, sentence) is ok


def test_refusal_follows_question_language():
    assert not_found("ru").startswith("В корпусе нет ответа")
    assert not_found("tr").startswith("Derlemde bulunamadı")
    assert not_found(None) == not_found("xx") == not_found("en")


def test_filters_accept():
    c = Chunk("a#0", "a", "t", 0, 1, "ru", "2025-12-05", "T")
    assert Filters().accepts(c)
    assert Filters(langs=("ru", "en")).accepts(c) and not Filters(langs=("de",)).accepts(c)
    assert Filters(since="2025-12-05", until="2025-12-05").accepts(c)
    assert not Filters(since="2025-12-06").accepts(c)
    undated = Chunk("b#0", "b", "t", 0, 1, "ru", None, "T")
    assert not Filters(until="2030-01-01").accepts(undated)


@pytest.mark.parametrize("sentence,ok", [
    ("Azerbaijan, Türkiye and OTS Secretariat explore co-op opportunities", False),  # headline
    ("Об этом сообщили в Минтруда Азербайджана.", False),
    ("This was reported by the Ministry of Labor.", False),
    ("Dies teilte das Ministerium mit.", False),
    ("Об этом сообщил министр, добавив, что в 2026 году комиссия соберётся в Ташкенте, а "
     "следующая встреча пройдёт в Баку весной.", True),  # attribution with content
    ("Omuraliev stressed the importance of the meeting.", True),
])
def test_headlines_and_bare_attributions_are_not_quoted(sentence, ok):
    from assistant.engine.features import quotable

    assert quotable(sentence, "Azerbaijan, Türkiye and OTS Secretariat explore co-op "
                    "opportunities") is ok


def test_record_fields_are_parsed_and_checked():
    from assistant.engine.config import load_config

    cfg = load_config(toml_path="/nonexistent", env={"ASSISTANT_RECORD_FIELDS":
                                                     "text=story, text=body2,id=uid"})
    assert cfg.fields() == {"text": ("story", "body2"), "id": ("uid",)}
    with pytest.raises(UsageError, match="record_fields entry 'headline'"):
        load_config(toml_path="/nonexistent", env={"ASSISTANT_RECORD_FIELDS": "headline"})
    with pytest.raises(UsageError, match="index_batch must be at least 1"):
        load_config(toml_path="/nonexistent", env={"ASSISTANT_INDEX_BATCH": "0"})
