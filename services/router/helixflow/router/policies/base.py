"""What a routing policy sees and must do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class Candidate(Protocol):
    """A routable worker: its address and its current load score."""

    @property
    def address(self) -> str: ...

    def score(self) -> float: ...


C = TypeVar("C", bound=Candidate)


class Policy(Protocol):
    """Choose one of a non-empty list of routable workers serving the model.

    ``key`` is the request's prefix hash (None when it has no prompt to hash);
    policies that do not use it ignore it.
    """

    wants_key: bool

    def choose(self, candidates: Sequence[C], key: int | None) -> C: ...
