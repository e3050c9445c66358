import json

import pytest

import random
import string

from training.tokenizer import (CLS, MASK, PAD, SEP, UNK, WordPieceTokenizer, normalize, pre_tokenize, split_words,
                                train_wordpiece)
from training.tokenizer_cases import cases

CORPUS = [
    "Red striped cotton dress for women. A casual summer dress in red.",
    "Black leather ankle boots, slim fit. Made for office days in winter.",
    "Navy blue T-shirt in pure cotton. Unisex sizing. Art. no. TR00012-3.",
    "Camel wool coat with a check pattern",
    "white sneakers", "white sneakers", "red dress", "red dress",
]


@pytest.fixture(scope="module")
def tok():
    return train_wordpiece(CORPUS, vocab_size=300, min_word_freq=1)


def test_normalizer_lowercases_strips_accents_and_cleans_controls():
    assert normalize("Café CRÈME") == "cafe creme"
    assert normalize("a\tb\u00a0c") == "a b c"
    assert normalize("x\u0000y\u200bz") == "xyz"
    assert normalize("日本") == " 日  本 "


def test_pre_tokenizer_splits_whitespace_and_every_punctuation_char():
    assert pre_tokenize("t-shirt, red!!") == ["t", "-", "shirt", ",", "red", "!", "!"]
    assert pre_tokenize("  a   b ") == ["a", "b"]


def test_ascii_fast_path_splits_words_as_the_unicode_pipeline_does():
    r = random.Random(7)
    texts = list(cases()) + ["Navy T-Shirt, size XL (men's)!", "  a  b  ", "~`^_|{}[]\\"]
    texts += ["".join(r.choice(string.printable) for _ in range(r.randint(0, 40))) for _ in range(3000)]
    for t in texts:
        assert split_words(t) == pre_tokenize(normalize(t).strip()), repr(t)


def test_special_tokens_have_fixed_ids(tok):
    assert [tok.ids[t] for t in (PAD, UNK, CLS, SEP, MASK)] == [0, 1, 2, 3, 4]


def test_encode_adds_cls_and_sep_and_round_trips(tok):
    ids = tok.encode("Red dress")
    assert ids[0] == tok.cls_id and ids[-1] == tok.sep_id
    assert tok.decode(ids) == "red dress"
    assert tok.decode(tok.encode("white sneakers")) == "white sneakers"


def test_unseen_words_fall_back_to_pieces_or_unk(tok):
    ids = tok.encode("dresss")
    assert tok.unk_id not in ids and tok.decode(ids) == "dresss"
    assert tok.encode("😀")[1:-1] == [tok.unk_id]


def test_literal_special_tokens_in_text_map_to_their_ids(tok):
    ids = tok.encode("red [MASK] dress")
    assert ids[2] == tok.mask_id
    assert tok.encode("[mask]")[1:-1] != [tok.mask_id]  # special tokens are case-sensitive


def test_truncation_cuts_the_whole_sequence_like_transformers_js(tok):
    long = " ".join(["red dress"] * 40)
    ids = tok.encode(long)
    assert len(ids) == tok.max_length and ids[0] == tok.cls_id
    assert len(tok.encode(long, truncate=False)) > tok.max_length


def test_batch_pads_with_zero_and_masks(tok):
    ids, mask = tok.batch(["red", "red dress in navy blue"])
    assert len(ids[0]) == len(ids[1])
    assert ids[0][len(tok.encode("red")):] == [0] * (len(ids[0]) - len(tok.encode("red")))
    assert mask[0].count(1) == len(tok.encode("red"))


def test_save_and_load_in_hugging_face_format(tok, tmp_path):
    tok.save(str(tmp_path))
    data = json.loads((tmp_path / "tokenizer.json").read_text())
    assert data["model"]["type"] == "WordPiece"
    assert data["normalizer"]["type"] == "BertNormalizer"
    assert data["pre_tokenizer"]["type"] == "BertPreTokenizer"
    assert data["post_processor"]["single"][0]["SpecialToken"]["id"] == CLS
    cfg = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert cfg["model_max_length"] == tok.max_length
    again = WordPieceTokenizer.load(str(tmp_path))
    for t in cases():
        assert again.encode(t) == tok.encode(t)


def test_case_list_is_large_and_varied():
    c = cases()
    assert len(c) >= 200 and len(set(c)) > 190
    assert any("é" in t for t in c) and any("[MASK]" in t for t in c) and any("!" in t for t in c)
