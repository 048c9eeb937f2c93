"""The one debug printer, for TAPEJIT_DEBUG levels: 1 compile and cache events and hints on
None gradients, 2 the traced and backward IR, 3 the IR after every pass and the fusion
groups, 4 the kernel source."""

from __future__ import annotations

from tapejit.config import config


def debugging(level: int) -> bool:
    """Whether TAPEJIT_DEBUG (or tj.config.debug) is at least `level`."""
    return config.debug >= level


def debug(level: int, message: str) -> None:
    """Print `message` (prefixed `tapejit:`) when debugging at `level` or above."""
    if config.debug >= level:
        print(f"tapejit: {message}")
