"""Errors tapejit raises: each names the op, the shapes/dtypes and a fix."""

from __future__ import annotations


class TapejitError(Exception):
    """Base class of tapejit's own errors."""


class ShapeError(TapejitError, ValueError):
    """Shapes that an op cannot combine."""


class AxisError(ShapeError, IndexError):
    """An axis out of range: a ShapeError that code catching NumPy's IndexError (or its
    AxisError, both a ValueError and an IndexError) also catches."""


class DTypeError(TapejitError, TypeError):
    """A dtype an op does not accept."""


class TracerBoolError(TapejitError, TypeError):
    """Python control flow on a value only known when the compiled function runs."""


class TracerArrayError(TapejitError, TypeError):
    """A traced value passed to NumPy or another library outside tapejit."""


class LeakedTracerError(TapejitError, RuntimeError):
    """A traced value used after the trace that made it ended."""


class TapeError(TapejitError, RuntimeError):
    """Misuse of a GradientTape, e.g. a second gradient on a non-persistent tape."""


class TapeWarning(UserWarning):
    """A tape was asked to watch something that cannot carry a gradient."""


class VerifyError(TapejitError, AssertionError):
    """A program that breaks the IR's invariants (a tapejit bug, not a user error)."""


def op_error(kind: type[TapejitError], op: str, problem: str, fix: str, site=None) -> TapejitError:
    """Build an error in the house format: op, problem, fix, and the user's line."""
    lines = [f"{op}: {problem}"]
    if site is not None:
        lines.append(f"  at {site}")
    if fix:
        lines.append(f"  fix: {fix}")
    return kind("\n".join(lines))


class TypeRuleError(Exception):
    """Raised by a primitive's type rule; `bind` turns it into a user-facing error."""

    def __init__(self, problem: str, fix: str = "", kind: type[TapejitError] = ShapeError):
        super().__init__(problem)
        self.problem, self.fix, self.kind = problem, fix, kind

    def for_op(self, op: str, site=None) -> TapejitError:
        return op_error(self.kind, op, self.problem, self.fix, site)
