"""The rule objects custom-derivative equations hold in their params."""

from __future__ import annotations


class Rule:
    """A derivative rule held in an equation's params: a Python callable, hashed by identity
    and printed by its function's name (so program text, and kernel text, is stable)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name
