"""WordPiece tokenizer trained on the fashion corpus, saved in the Hugging Face
``tokenizer.json`` format so that transformers.js ``AutoTokenizer`` loads it.

The Python encoder reproduces the behaviour of the Hugging Face pipeline
(added-token split -> BertNormalizer -> BertPreTokenizer -> WordPiece ->
``[CLS] $A [SEP]`` template) so that both sides produce identical ids.
"""
from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import Counter
from typing import Dict, Iterable, List, Sequence, Tuple

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP, MASK]
PREFIX = "##"
MAX_CHARS_PER_WORD = 100

# Characters that JavaScript's `\s` matches (ECMAScript WhiteSpace + LineTerminator).
_JS_SPACE = set(
    "\t\n\x0b\x0c\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_chinese(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def normalize(text: str) -> str:
    """BertNormalizer(clean_text, handle_chinese_chars, lowercase, strip_accents)."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        out.append(" " if ch in _JS_SPACE else ch)
    text = "".join(out)
    text = "".join(f" {c} " if _is_chinese(ord(c)) else c for c in text)
    text = text.lower()
    text = unicodedata.normalize("NFD", text)
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


# Printable ASCII needs none of the Unicode steps: the normaliser only lowercases it and the
# pre-tokenizer splits on spaces and on ASCII punctuation. This fast path gives the same words.
_PRINTABLE_ASCII = re.compile(r"[ -~]*")
_ASCII_WORD = re.compile(r"[!-/:-@\[-`{-~]|[^ !-/:-@\[-`{-~]+")


def split_words(text: str) -> List[str]:
    """normalize() then pre_tokenize(), with a fast path for printable ASCII."""
    if _PRINTABLE_ASCII.fullmatch(text):
        return _ASCII_WORD.findall(text.lower())
    return pre_tokenize(normalize(text).strip())


def pre_tokenize(text: str) -> List[str]:
    """BertPreTokenizer: split on whitespace, every punctuation character is a word."""
    words: List[str] = []
    cur: List[str] = []
    for ch in text:
        if ch in _JS_SPACE:
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punctuation(ch):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


class WordPieceTokenizer:
    def __init__(self, vocab: Sequence[str], max_length: int = 32):
        self.vocab = list(vocab)
        self.ids: Dict[str, int] = {t: i for i, t in enumerate(self.vocab)}
        for i, t in enumerate(SPECIAL_TOKENS):
            if self.ids.get(t) != i:
                raise ValueError(f"special token {t} must have id {i}")
        self.max_length = max_length
        self._special_re = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")
        self._pieces: Dict[str, List[int]] = {}

    @property
    def pad_id(self) -> int:
        return self.ids[PAD]

    @property
    def unk_id(self) -> int:
        return self.ids[UNK]

    @property
    def cls_id(self) -> int:
        return self.ids[CLS]

    @property
    def sep_id(self) -> int:
        return self.ids[SEP]

    @property
    def mask_id(self) -> int:
        return self.ids[MASK]

    def __len__(self) -> int:
        return len(self.vocab)

    def _wordpiece(self, word: str) -> List[int]:
        pieces = self._pieces.get(word)
        if pieces is None:
            pieces = self._split_word(word)
            if len(self._pieces) < 1_000_000:
                self._pieces[word] = pieces
        return pieces

    def _split_word(self, word: str) -> List[int]:
        if len(word) > MAX_CHARS_PER_WORD:
            return [self.unk_id]
        pieces: List[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = PREFIX + sub
                if sub in self.ids:
                    found = self.ids[sub]
                    break
                end -= 1
            if found is None:
                return [self.unk_id]
            pieces.append(found)
            start = end
        return pieces

    def tokenize_ids(self, text: str) -> List[int]:
        """Ids without special tokens or truncation."""
        ids: List[int] = []
        for part in self._special_re.split(text):
            if not part:
                continue
            if part in SPECIAL_TOKENS:
                ids.append(self.ids[part])
                continue
            for word in split_words(part):
                ids.extend(self._wordpiece(word))
        return ids

    def encode(self, text: str, truncate: bool = True) -> List[int]:
        """Ids with [CLS] ... [SEP]; with `truncate`, the whole sequence is cut to max_length,
        as transformers.js does with ``{truncation: true, max_length}`` (a cut sequence keeps
        [CLS] and loses its final [SEP])."""
        ids = [self.cls_id] + self.tokenize_ids(text) + [self.sep_id]
        return ids[: self.max_length] if truncate else ids

    def batch(self, texts: Sequence[str]) -> Tuple[List[List[int]], List[List[int]]]:
        """Padded (input_ids, attention_mask) lists, padded to the longest sequence."""
        enc = [self.encode(t) for t in texts]
        n = max(len(e) for e in enc)
        ids = [e + [self.pad_id] * (n - len(e)) for e in enc]
        mask = [[1] * len(e) + [0] * (n - len(e)) for e in enc]
        return ids, mask

    def decode(self, ids: Iterable[int]) -> str:
        words: List[str] = []
        for i in ids:
            tok = self.vocab[i]
            if tok in (PAD, CLS, SEP):
                continue
            if tok.startswith(PREFIX) and words:
                words[-1] += tok[len(PREFIX):]
            else:
                words.append(tok)
        return " ".join(words)

    # ---- persistence in the Hugging Face format ----
    def to_hf_json(self) -> dict:
        added = [
            {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for i, t in enumerate(SPECIAL_TOKENS)
        ]

        def special(tok: str) -> dict:
            return {"id": tok, "ids": [self.ids[tok]], "tokens": [tok]}

        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                           "strip_accents": None, "lowercase": True},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": CLS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": SEP, "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": CLS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": SEP, "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                         {"SpecialToken": {"id": SEP, "type_id": 1}}],
                "special_tokens": {CLS: special(CLS), SEP: special(SEP)},
            },
            "decoder": {"type": "WordPiece", "prefix": PREFIX, "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": UNK, "continuing_subword_prefix": PREFIX,
                      "max_input_chars_per_word": MAX_CHARS_PER_WORD,
                      "vocab": {t: i for i, t in enumerate(self.vocab)}},
        }

    def save(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(self.to_hf_json(), f, ensure_ascii=False)
        config = {
            "tokenizer_class": "BertTokenizer",
            "do_lower_case": True,
            "strip_accents": None,
            "tokenize_chinese_chars": True,
            "model_max_length": self.max_length,
            "pad_token": PAD, "unk_token": UNK, "cls_token": CLS, "sep_token": SEP, "mask_token": MASK,
            "clean_up_tokenization_spaces": True,
        }
        with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)

    @classmethod
    def load(cls, directory: str) -> "WordPieceTokenizer":
        with open(os.path.join(directory, "tokenizer.json"), encoding="utf-8") as f:
            data = json.load(f)
        with open(os.path.join(directory, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        vocab_map = data["model"]["vocab"]
        vocab = [""] * len(vocab_map)
        for tok, i in vocab_map.items():
            vocab[i] = tok
        return cls(vocab, max_length=int(config.get("model_max_length", 32)))


def train_wordpiece(corpus: Iterable[str], vocab_size: int = 4000, min_word_freq: int = 2,
                    max_length: int = 32) -> WordPieceTokenizer:
    """Frequency-based WordPiece vocabulary: every character (word-initial and ``##``
    continuation), then whole words and sub-word pieces (word prefixes and ``##`` suffixes
    of 2-5 characters) ranked by corpus frequency. Sub-word pieces keep misspelt and
    unseen words mostly out of ``[UNK]``."""
    words: Counter = Counter()
    for text in corpus:
        for part in text.split("\n"):
            words.update(split_words(part))
    chars: Counter = Counter()
    cont_chars: Counter = Counter()
    pieces: Counter = Counter()
    for w, c in words.items():
        if len(w) > MAX_CHARS_PER_WORD:
            continue
        chars[w[0]] += c
        for ch in w[1:]:
            cont_chars[PREFIX + ch] += c
        if len(w) > 1 and c >= min_word_freq:
            pieces[w] += c
        for k in range(2, min(len(w), 6)):
            pieces[w[:k]] += c
            pieces[PREFIX + w[-k:]] += c
    vocab: List[str] = list(SPECIAL_TOKENS)
    seen = set(vocab)
    for tok, _ in sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])):
        if tok not in seen:
            vocab.append(tok)
            seen.add(tok)
    for tok, _ in sorted(cont_chars.items(), key=lambda kv: (-kv[1], kv[0])):
        if tok not in seen:
            vocab.append(tok)
            seen.add(tok)
    # Whole words first (ranked by frequency), then sub-word pieces, until the budget is used.
    whole = [(w, c) for w, c in words.items() if c >= min_word_freq and len(w) > 1]
    for tok, _ in sorted(whole, key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= vocab_size:
            break
        if tok not in seen:
            vocab.append(tok)
            seen.add(tok)
    for tok, c in sorted(pieces.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= vocab_size:
            break
        if c >= min_word_freq and tok not in seen:
            vocab.append(tok)
            seen.add(tok)
    return WordPieceTokenizer(vocab, max_length=max_length)
