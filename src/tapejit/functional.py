"""TensorFlow's control flow and functional forms: tj.cond, tj.while_loop, tj.foldl,
tj.foldr, tj.scan. They run as Python eagerly and stage the higher-order primitives under
jit, as tj.lax does."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tapejit import lax, tree
from tapejit.errors import op_error
from tapejit.ops import concat, expand_dims, stop_gradient
from tapejit.site import user_site


def _callable(fn, who: str, what: str) -> None:
    if not callable(fn):
        raise op_error(TypeError, who, f"'{what}' must be callable.",
                       f"pass a function as {what}", user_site())


def cond(pred, true_fn: Callable | None = None, false_fn: Callable | None = None, name=None):
    """true_fn() if pred else false_fn(), TensorFlow's `tf.cond`; both branches return the
    same structure of tensors."""
    if true_fn is None:
        raise op_error(TypeError, "cond", "cond(): 'true_fn' argument required",
                       "pass true_fn=...", user_site())
    if false_fn is None:
        raise op_error(TypeError, "cond", "cond(): 'false_fn' argument required",
                       "pass false_fn=...", user_site())
    _callable(true_fn, "cond", "true_fn")
    _callable(false_fn, "cond", "false_fn")
    return lax.cond(pred, true_fn, false_fn)


def _as_list_result(value, n: int):
    """A body's result as the loop's structure: a lone value for a single loop variable."""
    if n == 1 and not isinstance(value, (list, tuple)):
        return [value]
    return value


def while_loop(cond: Callable, body: Callable, loop_vars, shape_invariants=None,
               parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
               maximum_iterations=None, name=None):
    """`while cond(*loop_vars): loop_vars = body(*loop_vars)`, TensorFlow's `tf.while_loop`;
    returns the loop variables in loop_vars' structure.

    With `maximum_iterations` (a Python int) the loop also stops after that many iterations,
    and under jit it is a scan of that length whose steps past the end keep the values:
    reverse-mode differentiable in linear time (a while_loop without it keeps 128 carries in
    reverse mode and recomputes the others: quadratic in the trip count beyond that).
    """
    _callable(cond, "while_loop", "cond")
    _callable(body, "while_loop", "body")
    wrapped = isinstance(loop_vars, (list, tuple))
    start = list(loop_vars) if wrapped else [loop_vars]
    n = len(start)

    def test(values):
        return cond(*values) if wrapped else cond(values[0])

    def step(values):
        return list(_as_list_result(body(*values), n)) if wrapped else [body(values[0])]

    if maximum_iterations is None:
        result = lax.while_loop(test, step, start)
    else:
        result = _bounded(test, step, start, maximum_iterations)
    if not back_prop:
        result = tree.unflatten(*reversed(_stopped(result)))
    if not wrapped:
        return result[0]
    if hasattr(type(loop_vars), "_fields"):
        return type(loop_vars)(*result)
    return type(loop_vars)(result)


def _stopped(value):
    leaves, treedef = tree.flatten(value)
    return [stop_gradient(x) for x in leaves], treedef


def _bounded(test, step, start, maximum_iterations):
    limit = lax.static_int(maximum_iterations)
    if limit is None:
        def bounded_test(state):
            return (state[0] < maximum_iterations) & test(state[1])

        def bounded_step(state):
            return state[0] + np.int32(1), step(state[1])
        return lax.while_loop(bounded_test, bounded_step, (np.int32(0), start))[1]
    if not lax.staging():
        values, count = start, 0
        while count < limit and bool(np.asarray(test(values))):
            values, count = step(values), count + 1
        return values

    def guarded(values, _):
        return lax.cond(test(values), step, lambda v: v, values), None
    return lax.scan(guarded, start, None, length=max(limit, 0))[0]


def _first_and_rest(elems, who: str):
    leaves, treedef = lax.flat_tensors(elems, who)
    if not leaves or leaves[0].ndim == 0 or leaves[0].shape[0] == 0:
        raise op_error(ValueError, who, "elems must be a 1+ dimensional tensor, not empty, when "
                       "no initializer is given", "pass an initializer", user_site())
    return (tree.unflatten(treedef, [x[0] for x in leaves]),
            tree.unflatten(treedef, [x[1:] for x in leaves]))


def foldl(fn: Callable, elems, initializer=None, parallel_iterations: int = 10,
          back_prop: bool = True, swap_memory: bool = False, name=None):
    """fn(...fn(fn(initializer, elems[0]), elems[1])...), TensorFlow's `tf.foldl`; without
    an initializer, elems[0] starts the fold."""
    _callable(fn, "foldl", "fn")
    if initializer is None:
        initializer, elems = _first_and_rest(elems, "foldl")
    return lax.scan(lambda acc, x: (fn(acc, x), None), initializer, elems)[0]


def foldr(fn: Callable, elems, initializer=None, parallel_iterations: int = 10,
          back_prop: bool = True, swap_memory: bool = False, name=None):
    """foldl from the last element to the first, TensorFlow's `tf.foldr`."""
    _callable(fn, "foldr", "fn")
    if initializer is None:
        leaves, treedef = lax.flat_tensors(elems, "foldr")
        last, rest = _first_and_rest(tree.unflatten(treedef, [x[::-1] for x in leaves]),
                                     "foldr")
        return lax.scan(lambda acc, x: (fn(acc, x), None), last, rest)[0]
    return lax.scan(lambda acc, x: (fn(acc, x), None), initializer, elems, reverse=True)[0]


def scan(fn: Callable, elems, initializer=None, parallel_iterations: int = 10,
         back_prop: bool = True, swap_memory: bool = False, infer_shape: bool = True,
         reverse: bool = False, name=None):
    """Every intermediate accumulator of fn(acc, x) over elems, stacked: TensorFlow's
    `tf.scan`. Without an initializer, elems[0] (elems[-1] with reverse) is the first
    accumulator and the first output."""
    _callable(fn, "scan", "fn")

    def step(acc, x):
        new = fn(acc, x)
        return new, new

    if initializer is not None:
        return lax.scan(step, initializer, elems, reverse=reverse)[1]
    leaves, treedef = lax.flat_tensors(elems, "scan")
    order = [x[::-1] for x in leaves] if reverse else leaves
    first, rest = _first_and_rest(tree.unflatten(treedef, order), "scan")
    ys = lax.scan(step, first, rest)[1]
    first_leaves, _ = lax.flat_tensors(first, "scan")
    y_leaves, y_def = tree.flatten(ys)
    joined = [concat([expand_dims(f, 0), y], 0) for f, y in zip(first_leaves, y_leaves)]
    if reverse:
        joined = [x[::-1] for x in joined]
    return tree.unflatten(y_def, joined)
