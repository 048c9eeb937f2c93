"""The rule objects custom-derivative equations hold in their params."""

from __future__ import annotations


class Rule:
    """A derivative rule held in an equation's params: a Python callable, hashed by identity
    and printed by its function's name (so program text, and kernel text, is stable).

    `covers_closed_over`: whether values the function closes over may be differentiated
    through it. JAX's custom rules cover only the explicit arguments, so differentiating a
    closed-over value through them is an error there (and here); TensorFlow's custom_gradient
    gives such values no gradient.
    """

    covers_closed_over = False

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name
