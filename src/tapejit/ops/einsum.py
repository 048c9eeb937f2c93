"""einsum with NumPy's semantics (`tj.einsum` with TF's dtype policy; tapejit.numpy's
einsum adds NumPy's). Built from differentiable ops: a diagonal (transpose, reshape, strided
slice) for a label repeated in one operand, reduce_sum for a label no one else needs, and
dot_general for each pairwise contraction, left to right.

Labels are letters; the axes under an operand's '...' get the labels -k, ..., -1 (-1 the
last), so they broadcast right-aligned across operands as in NumPy.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from tapejit import dtypes
from tapejit.errors import ShapeError, op_error
from tapejit.ops.compare import not_equal
from tapejit.ops.operands import as_operand, cast, convert_to_tensor, is_python_scalar, tf_dtype
from tapejit.ops.reduce import reduce_sum
from tapejit.ops.shape import reshape, squeeze, transpose
from tapejit.primitives.linalg import dot_general_p
from tapejit.primitives.slicing import slice_p
from tapejit.site import user_site
from tapejit.trace import bind

Label = str | int


@dataclass(frozen=True)
class Spec:
    """Parsed subscripts: the labels of each operand's axes, and of the output's."""

    inputs: tuple[tuple[Label, ...], ...]
    output: tuple[Label, ...]


def _error(op: str, problem: str, fix: str):
    return op_error(ShapeError, op, problem, fix, user_site())


def _letters_and_ellipsis(op: str, term: str, where: str) -> tuple[str, str | None]:
    """A term split at its '...': (letters before, letters after) or (letters, None)."""
    if "." in term and (term.count(".") != 3 or "..." not in term):
        raise _error(op, f"the subscripts of {where} contain a '.' that is not part of an "
                     "ellipsis ('...')", "write the ellipsis as exactly three dots, once")
    for char in term.replace("...", ""):
        if char not in string.ascii_letters:
            raise _error(op, f"invalid subscript {char!r} in {where}: subscripts must be "
                         "letters", "use a-z and A-Z, '...', ',' and one '->'")
    if "..." in term:
        head, tail = term.split("...")
        return head, tail
    return term, None


def _operand_labels(op: str, term: str, ndim: int, index: int) -> tuple[Label, ...]:
    where = f"operand {index}"
    head, tail = _letters_and_ellipsis(op, term, where)
    named = len(head) + len(tail or "")
    if named > ndim:
        raise _error(op, f"the subscripts {term!r} name {named} axes but {where} has {ndim}",
                     "give one letter per axis, or '...' for the rest")
    if tail is None:
        if named < ndim:
            raise _error(op, f"{where} has {ndim} axes but its subscripts {term!r} name "
                         f"{named}, with no '...' for the others",
                         "give one letter per axis, or '...' for the rest")
        return tuple(head)
    broadcast = ndim - named
    return tuple(head) + tuple(range(-broadcast, 0)) + tuple(tail)


def _output_labels(op: str, term: str | None, inputs, n_broadcast: int) -> tuple[Label, ...]:
    if term is None:  # implicit: the broadcast axes, then the letters used exactly once
        letters = [label for labels in inputs for label in labels if isinstance(label, str)]
        once = sorted(label for label in set(letters) if letters.count(label) == 1)
        return tuple(range(-n_broadcast, 0)) + tuple(once)
    head, tail = _letters_and_ellipsis(op, term, "the output")
    if tail is None and n_broadcast:
        raise _error(op, f"the operands' '...' stand for {n_broadcast} axes but the output "
                     f"{term!r} has no '...' for them", "add '...' to the output subscripts")
    named = head + (tail or "")
    used = {label for labels in inputs for label in labels}
    for label in named:
        if named.count(label) > 1:
            raise _error(op, f"the output subscripts include {label!r} more than once",
                         "name each output axis once (a diagonal is 'ii->i')")
        if label not in used:
            raise _error(op, f"the output subscript {label!r} appears in no operand",
                         "use letters of the operands' subscripts")
    return tuple(head) + (tuple(range(-n_broadcast, 0)) if tail is not None else ()) + \
        tuple(tail or "")


def parse(op: str, subscripts: str, shapes) -> Spec:
    """The labels of `subscripts` (NumPy's einsum syntax) for operands of `shapes`."""
    text = subscripts.replace(" ", "")
    if text.count("->") > 1:
        raise _error(op, f"{subscripts!r} has more than one '->'", "write 'inputs->output'")
    lhs, arrow, rhs = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise _error(op, f"{subscripts!r} has subscripts for {len(terms)} operands but "
                     f"{len(shapes)} were given", "give one comma-separated term per operand")
    inputs = tuple(_operand_labels(op, term, len(shape), i)
                   for i, (term, shape) in enumerate(zip(terms, shapes)))
    n_broadcast = max([-min((lb for lb in labels if isinstance(lb, int)), default=0)
                       for labels in inputs])
    output = _output_labels(op, rhs if arrow else None, inputs, n_broadcast)
    return Spec(inputs, output)


def _name(label: Label) -> str:
    return repr(label) if isinstance(label, str) else f"axis {label} of '...'"


def label_sizes(op: str, spec: Spec, shapes) -> dict[Label, int]:
    """Each label's size: equal within an operand (a diagonal); across operands equal, or 1
    (broadcast, as in NumPy)."""
    sizes: dict[Label, int] = {}
    seen: dict[Label, tuple[int, int]] = {}
    for index, (labels, shape) in enumerate(zip(spec.inputs, shapes)):
        mine: dict[Label, int] = {}
        for label, size in zip(labels, shape):
            if mine.setdefault(label, size) != size:
                raise _error(op, f"operand {index} {list(shape)} repeats {_name(label)} over "
                             f"axes of sizes {mine[label]} and {size}",
                             "a repeated subscript takes a diagonal: its axes must be equal")
        for label, size in mine.items():
            known = sizes.get(label, 1)
            if size != known and 1 not in (size, known):
                other, other_shape = seen[label]
                raise _error(op, f"{_name(label)} has size {known} in operand {other} "
                             f"{list(other_shape)} but {size} in operand {index} "
                             f"{list(shape)}", "sizes of one subscript must match (or be 1)")
            if size != 1 or label not in sizes:
                sizes[label], seen[label] = size, (index, tuple(shape))
    return sizes


def diagonal(x, axis1: int, axis2: int):
    """x's diagonal over two axes of equal size n, as its last axis (NumPy's order): the
    pair moved last, merged into n*n entries and sliced with stride n + 1, so it
    differentiates (the slice transposes to a pad)."""
    n = x.shape[axis1]
    rest = [d for d in range(len(x.shape)) if d not in (axis1, axis2)]
    x = transpose(x, rest + [axis1, axis2])
    x = reshape(x, tuple(x.shape[:-2]) + (n * n,))
    keep = len(x.shape) - 1
    return bind(slice_p, x, start_indices=(0,) * len(x.shape),
                limit_indices=tuple(x.shape), strides=(1,) * keep + (n + 1,))


def _sum_except(x, labels: tuple, keep) -> tuple:
    axes = tuple(i for i, label in enumerate(labels) if label not in keep)
    if not axes:
        return x, labels
    return reduce_sum(x, axes), tuple(lb for lb in labels if lb in keep)


def _prepared(x, labels: tuple, sizes: dict, keep) -> tuple:
    """One operand with its diagonals taken, its broadcast (size-1) axes dropped and the
    labels no one else needs summed."""
    while len(set(labels)) != len(labels):
        label = next(lb for lb in labels if labels.count(lb) > 1)
        i = labels.index(label)
        j = labels.index(label, i + 1)
        x = diagonal(x, i, j)
        labels = tuple(lb for k, lb in enumerate(labels) if k not in (i, j)) + (label,)
    stretched = tuple(i for i, label in enumerate(labels)
                      if x.shape[i] == 1 and sizes[label] != 1)
    if stretched:
        x = squeeze(x, stretched)
        labels = tuple(lb for i, lb in enumerate(labels) if i not in stretched)
    return _sum_except(x, labels, keep)


def _contracted(left: tuple, right: tuple, needed) -> tuple:
    """dot_general of two operands: shared labels still needed are batch dims, the other
    shared ones are summed; the result's labels are (batch, left's others, right's)."""
    (x, lx), (y, ly) = left, right
    shared = [label for label in lx if label in ly]
    batch = [label for label in shared if label in needed]
    summed = [label for label in shared if label not in needed]
    dims = ((tuple(lx.index(lb) for lb in summed), tuple(ly.index(lb) for lb in summed)),
            (tuple(lx.index(lb) for lb in batch), tuple(ly.index(lb) for lb in batch)))
    out = bind(dot_general_p, x, y, dimension_numbers=dims)
    labels = (tuple(batch) + tuple(lb for lb in lx if lb not in shared)
              + tuple(lb for lb in ly if lb not in shared))
    return out, labels


def contract_spec(op: str, spec: Spec, xs: list):
    """The einsum of operands `xs` (one dtype) described by `spec`."""
    sizes = label_sizes(op, spec, [x.shape for x in xs])
    output = set(spec.output)
    terms = []
    for i, (x, labels) in enumerate(zip(xs, spec.inputs)):
        others = {lb for j, ls in enumerate(spec.inputs) if j != i for lb in ls}
        terms.append(_prepared(x, labels, sizes, output | others))
    result = terms[0]
    for k in range(1, len(terms)):
        needed = output | {lb for _, ls in terms[k + 1:] for lb in ls}
        result = _sum_except(*result, needed | set(terms[k][1]))
        term = _sum_except(*terms[k], needed | set(result[1]))
        result = _contracted(result, term, needed)
    x, labels = _sum_except(*result, output)
    return transpose(x, [labels.index(label) for label in spec.output])


def einsum_of(op: str, subscripts: str, xs: list):
    """einsum of operands already of one dtype: booleans as NumPy computes them (any of the
    products is true), through integers, which reduce_sum accepts."""
    if not isinstance(subscripts, str):
        raise op_error(TypeError, op, f"the subscripts must be a string, got "
                       f"{type(subscripts).__name__}", "e.g. 'ij,jk->ik'", user_site())
    if not xs:
        raise _error(op, "no operands", "give the subscripts and at least one operand")
    xs = [as_operand(x, op) for x in xs]
    spec = parse(op, subscripts, [x.shape for x in xs])
    if xs[0].dtype.kind == "b":
        counts = contract_spec(op, spec, [cast(x, dtypes.int32) for x in xs])
        return not_equal(counts, np.int32(0))
    return convert_to_tensor(contract_spec(op, spec, xs))


def einsum(equation, *inputs, **kwargs):
    """TF's einsum (NumPy's semantics: implicit and explicit output, '...', a repeated
    subscript in one operand for a diagonal, any number of operands); operands promote
    under tapejit's dtype policy. `name` and `optimize` are accepted and ignored."""
    unknown = set(kwargs) - {"name", "optimize"}
    if unknown:
        raise op_error(TypeError, "einsum", f"unexpected keyword arguments {sorted(unknown)}",
                       "einsum takes the equation, the operands, name= and optimize=",
                       user_site())
    items = [x if is_python_scalar(x) else as_operand(x, "einsum") for x in inputs]
    if all(is_python_scalar(x) for x in items):
        return einsum_of("einsum", equation, [as_operand(x, "einsum") for x in items])
    dtype = tf_dtype(items)
    return einsum_of("einsum", equation, [
        np.asarray(x, dtype)[()] if is_python_scalar(x) else cast(x, dtype) for x in items])
