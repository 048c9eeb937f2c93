"""Pytrees: nested lists, tuples (named ones too), dicts and None around leaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TreeDef:
    """The shape of a nested structure without its leaves; hashable, so it keys caches. Its
    hash is computed once, from its children's: a jitted call hashes its arguments' treedefs
    in its signature, and hashing them anew walked the whole structure each time."""

    kind: Any  # None (a leaf), type(None), list, tuple, dict or a namedtuple class
    meta: Any  # dict keys, or None
    children: tuple[TreeDef, ...]
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.kind, self.meta, self.children)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        """Rebuilt through the constructor, so a copy in another process hashes as that
        process hashes (a type's hash differs from one process to the next)."""
        return TreeDef, (self.kind, self.meta, self.children)

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind is None else sum(c.num_leaves for c in self.children)

    def __str__(self) -> str:
        if self.kind is None:
            return "*"
        if self.kind is type(None):
            return "None"
        inner = ", ".join(str(c) for c in self.children)
        if self.kind is dict:
            inner = ", ".join(f"{k!r}: {c}" for k, c in zip(self.meta, self.children))
            return "{" + inner + "}"
        return f"[{inner}]" if self.kind is list else f"({inner})"


LEAF = TreeDef(None, None, ())


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def flatten(tree) -> tuple[list, TreeDef]:
    """Leaves in order (dict keys sorted when sortable, else insertion order) and the treedef."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _dict_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        return tuple(d)


def _flatten(tree, leaves: list) -> TreeDef:
    if tree is None:
        return TreeDef(type(None), None, ())
    if isinstance(tree, dict):
        keys = _dict_keys(tree)
        return TreeDef(dict, keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if isinstance(tree, (list, tuple)):
        kind = type(tree) if _is_namedtuple(tree) else (list if isinstance(tree, list) else tuple)
        return TreeDef(kind, None, tuple(_flatten(x, leaves) for x in tree))
    leaves.append(tree)
    return LEAF


def unflatten(treedef: TreeDef, leaves) -> Any:
    """Rebuild the structure `treedef` describes from `leaves` (in flatten's order)."""
    return _unflatten(treedef, iter(leaves))


def _unflatten(treedef: TreeDef, it):
    if treedef.kind is None:
        return next(it)
    if treedef.kind is type(None):
        return None
    children = [_unflatten(c, it) for c in treedef.children]
    if treedef.kind is dict:
        return dict(zip(treedef.meta, children))
    if treedef.kind in (list, tuple):
        return treedef.kind(children)
    return treedef.kind(*children)


def leaves(tree) -> list:
    return flatten(tree)[0]


def flatten_up_to(treedef: TreeDef, value) -> list:
    """Leaves of `value` taken at the leaf positions of `treedef` (deeper structure stays
    inside a leaf, so a list can be one leaf's value)."""
    if treedef.kind is None:
        return [value]
    if treedef.kind is type(None):
        return []
    if treedef.kind is dict:
        if not isinstance(value, dict) or set(value) != set(treedef.meta):
            raise ValueError(f"expected a dict with keys {list(treedef.meta)}, got {value!r}")
        parts = [value[k] for k in treedef.meta]
    else:
        if not isinstance(value, (list, tuple)) or len(value) != len(treedef.children):
            raise ValueError(f"expected a sequence of {len(treedef.children)}, got {value!r}")
        parts = list(value)
    return [leaf for c, p in zip(treedef.children, parts) for leaf in flatten_up_to(c, p)]
