"""Turn a stream of token bytes into whole-character text, minus stop strings.

Two things make streaming text tricky: a token may end in the middle of a
UTF-8 character, and a stop string may span several tokens. ``TextAssembler``
buffers incomplete bytes and holds back any tail that could still become a
stop string, so what it releases is always final.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(slots=True)
class Released:
    text: str
    stop: str | None = None


class TextAssembler:
    def __init__(self, stops: tuple[str, ...]) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stops = tuple(s for s in stops if s)
        self._pending = ""  # decoded text not yet released (a possible stop prefix)

    def push(self, data: bytes) -> Released:
        """Add one token's bytes; return text that can no longer change."""
        self._pending += self._decoder.decode(data)
        if not self._stops:
            text, self._pending = self._pending, ""
            return Released(text)
        match_at, matched = self._find_stop()
        if matched is not None:
            text = self._pending[:match_at]
            self._pending = ""
            return Released(text, matched)
        keep = self._longest_partial_stop()
        cut = len(self._pending) - keep
        text, self._pending = self._pending[:cut], self._pending[cut:]
        return Released(text)

    def flush(self) -> str:
        """Release everything held back (the sequence ended for another reason)."""
        text = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        return text

    def _find_stop(self) -> tuple[int, str | None]:
        # The earliest match wins, so text before it is exactly what was generated.
        best_at, best = len(self._pending) + 1, None
        for stop in self._stops:
            at = self._pending.find(stop)
            if 0 <= at < best_at:
                best_at, best = at, stop
        return best_at, best

    def _longest_partial_stop(self) -> int:
        """Length of the longest suffix of pending text that starts some stop string."""
        pending = self._pending
        longest = 0
        for stop in self._stops:
            for n in range(min(len(stop) - 1, len(pending)), longest, -1):
                if pending.endswith(stop[:n]):
                    longest = n
                    break
        return longest
