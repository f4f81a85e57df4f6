"""The deterministic word-level tokenizer shared by both platforms.

A token is one whitespace-delimited word together with the whitespace before it
(``"hello world"`` -> ``["hello", " world"]``), so joining tokens gives back the text
(trailing whitespace aside). Token ids are stable across processes: special tokens have
small fixed ids, every other token gets ``1000 + (first 3 bytes of sha256(token))``.
Ids seen by a server (in prompts or replies) can be decoded again.

Chat prompts are rendered as ``<|im_start|>``, ``"<role>\\n"``, the message's words,
``<|im_end|>`` per message, so a conversation costs ``words + 3`` tokens per message.
"""

from __future__ import annotations

import hashlib
import re
import threading

UNK_ID = 0
BOS_ID = 1
EOS_ID = 2
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS: dict[str, int] = {"<unk>": UNK_ID, "<s>": BOS_ID, "</s>": EOS_ID, IM_START: 3, IM_END: 4}
_SPECIAL_BY_ID = {v: k for k, v in SPECIAL_TOKENS.items()}
_TOKEN_RE = re.compile(r"\s*\S+")
VOCAB_SIZE = 1000 + (1 << 24)


def split_tokens(text: str) -> list[str]:
    """Split text into tokens (each word with its leading whitespace).

    >>> split_tokens("You said:  hi")
    ['You', ' said:', '  hi']
    """
    return _TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    """Number of tokens (words) in ``text``.

    >>> count_tokens("a b  c")
    3
    """
    return len(text.split())


class WordTokenizer:
    """Maps tokens to stable ids and remembers the ids it produced, for decoding."""

    def __init__(self) -> None:
        self._pieces: dict[int, str] = dict(_SPECIAL_BY_ID)
        self._lock = threading.Lock()

    def token_id(self, piece: str) -> int:
        """Return the id of one token."""
        special = SPECIAL_TOKENS.get(piece)
        if special is not None:
            return special
        token = 1000 + int.from_bytes(hashlib.sha256(piece.encode()).digest()[:3], "big")
        if token not in self._pieces:
            with self._lock:
                self._pieces[token] = piece
        return token

    def pieces(self, text: str, add_special_tokens: bool = False) -> list[str]:
        """Token strings of a plain prompt, with ``<s>`` first when asked."""
        found = split_tokens(text)
        return ["<s>", *found] if add_special_tokens else found

    def chat_pieces(self, messages: list[tuple[str, str]]) -> list[str]:
        """Token strings of a rendered conversation of ``(role, text)`` pairs."""
        out: list[str] = []
        for role, text in messages:
            out.append(IM_START)
            out.append(f"{role}\n")
            out.extend(split_tokens(text))
            out.append(IM_END)
        return out

    def ids(self, pieces: list[str]) -> list[int]:
        """Ids of the given token strings."""
        return [self.token_id(p) for p in pieces]

    def decode(self, ids: list[int]) -> str:
        """Join the tokens of ``ids``; ids never seen by this server decode as ``<unk>``."""
        return "".join(self._pieces.get(i, "<unk>") for i in ids)

    def piece(self, token: int) -> str:
        """The token string of one id (``<unk>`` when unknown)."""
        return self._pieces.get(token, "<unk>")
