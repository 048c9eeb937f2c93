"""tj.vmap (JAX's semantics) and tj.vectorized_map (TensorFlow's), by batching a program.

How it works: the function is traced once on per-example abstract values (the mapped axis
removed) into a Program, as jit traces; `batch_eval` then walks that program and applies
each equation's batching rule (`Primitive.batch`) to the real, batched arguments. Every
rule is written with `bind`, so the batched equations run eagerly, are recorded by tapes,
trace into an enclosing jit, and are differentiated like any other ops; a nested vmap
traces its function inside the outer one's trace and batches into it. Values captured from
outside (closures, Variables) are unbatched inputs of the traced program.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import wraps

from tapejit import ops, tree
from tapejit.errors import op_error
from tapejit.ir import TensorType
from tapejit.jit import require_callable
from tapejit.leaves import as_tensor
from tapejit.primitives.batching import NoBatchRuleError, batch_eval, with_batch
from tapejit.primitives.shape import transpose
from tapejit.site import user_site
from tapejit.staging import JitTrace
from tapejit.tensor import Tensor


def _bad_in_axes(in_axes, n_args: int | None = None) -> Exception:
    got = f"{in_axes}" if n_args is None else f"len(in_axes)={len(in_axes)}, len(args)={n_args}"
    return op_error(ValueError, "vmap", "vmap in_axes must be an int, None, or a tuple of "
                    "entries corresponding to the positional arguments passed to the "
                    f"function, but got {got}.", "give one entry per positional argument",
                    user_site())


def _not_prefix(what: str, spec, value) -> Exception:
    return op_error(ValueError, "vmap", f"vmap {what} specification must be a tree prefix of "
                    f"the corresponding value, got specification {spec} for value tree "
                    f"{tree.flatten(value)[1]}.", f"give {what} the structure of the values "
                    "(or a prefix of it: an int or None covers a whole subtree)", user_site())


def axes_per_leaf(spec, value, what: str) -> list:
    """One axis (an int or None) per leaf of `value`, from `spec`, a tree prefix of it."""
    if spec is None or isinstance(spec, int):
        return [spec] * len(tree.leaves(value))
    if isinstance(spec, dict) and isinstance(value, dict) and set(spec) == set(value):
        keys = tree.flatten(value)[1].meta
        return [a for k in keys for a in axes_per_leaf(spec[k], value[k], what)]
    if (isinstance(spec, (list, tuple)) and isinstance(value, (list, tuple))
            and len(spec) == len(value)):
        return [a for s, v in zip(spec, value) for a in axes_per_leaf(s, v, what)]
    raise _not_prefix(what, spec, value)


def _normalize_axis(axis: int, rank: int, shape, where: str) -> int:
    if not -rank <= axis < rank:
        raise op_error(ValueError, "vmap", f"vmap was requested to map its argument along axis "
                       f"{axis}, which implies that its rank should be at least "
                       f"{axis + 1 if axis >= 0 else -axis}, but is only {rank} (its shape is "
                       f"{tuple(shape)}) for {where}", "map an existing axis, or use None",
                       user_site())
    return axis % rank


def _batch_size(leaves, axes, names, axis_size) -> int:
    sizes = {}
    for x, a, name in zip(leaves, axes, names):
        if a is not None:
            sizes.setdefault(x.shape[a], []).append(f"axis {a} of {name} of type {x.dtype.name}"
                                                    f"{list(x.shape)}")
    if axis_size is not None and (not sizes or set(sizes) == {axis_size}):
        return axis_size
    if not sizes:
        raise op_error(ValueError, "vmap", "vmap must have at least one non-None value in "
                       "in_axes", "map an argument's axis, or give axis_size", user_site())
    if len(sizes) == 1 and axis_size is None:
        return next(iter(sizes))
    lines = [f"  * {'one axis' if len(w) == 1 else f'{len(w)} axes'} had size {n}: {w[0]}"
             for n, w in sizes.items()]
    if axis_size is not None:
        lines.append(f"  * axis_size argument was {axis_size}")
    raise op_error(ValueError, "vmap", "vmap got inconsistent sizes for array axes to be "
                   "mapped:\n" + ";\n".join(lines), "map axes of one size", user_site())


def _leaf_names(args, kwargs) -> list[str]:
    names = [f"args[{i}]" for i, a in enumerate(args) for _ in tree.leaves(a)]
    return names + [f"kwargs[{k!r}]" for k in tree.flatten(kwargs)[1].meta or ()
                    for _ in tree.leaves(kwargs[k])]


def _example_type(x, axis) -> TensorType:
    shape = tuple(x.shape)
    return TensorType(x.dtype, shape if axis is None else shape[:axis] + shape[axis + 1:])


def _stage_example(fun, leaves, axes, treedef):
    """fun traced on one example: (program, out treedef, Variables read, consts)."""
    with JitTrace() as trace:
        inputs = [trace.new_input(_example_type(x, a)) for x, a in zip(leaves, axes)]
        args, kwargs = tree.unflatten(treedef, inputs)
        out_leaves, out_tree = tree.flatten(fun(*args, **kwargs))
        outs = [as_tensor(x, "vmap", "return tensors, numbers, or nested lists/tuples/dicts "
                          "of them") for x in out_leaves]
        if trace.assigned:
            names = ", ".join(v.name for v in trace.assigned.values())
            raise op_error(ValueError, "vmap", f"the function assigns Variables ({names}), "
                           "which hold one value, not one per example",
                           "return the new values and assign them outside vmap", user_site())
        program, consts = trace.to_program(outs)
    return program, out_tree, list(trace.variables.values()), consts


def _place(x, dim, axis, size: int):
    """A batched output with its batch axis at `axis` (None: unbatched, checked)."""
    if axis is None:
        if dim is not None:
            raise op_error(ValueError, "vmap", "vmap has mapped output but out_axes is None",
                           "give out_axes an int for outputs that depend on mapped inputs",
                           user_site())
        return x if isinstance(x, Tensor) else Tensor(x)
    x = with_batch(x, dim, size)
    rank = len(x.shape)
    axis = _normalize_axis(axis, rank, x.shape, "an output")
    if axis == 0:
        return x
    perm = tuple(range(1, axis + 1)) + (0,) + tuple(range(axis + 1, rank))
    return transpose(x, perm)


def _mapped_leaves(in_axes, axis_size, args, kwargs):
    """The arguments' leaves as tensors, each one's mapped axis (or None), their treedef
    and the batch size, checked as JAX checks them."""
    if isinstance(in_axes, tuple) and len(in_axes) != len(args):
        raise _bad_in_axes(in_axes, len(args))
    spec = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    leaves, treedef = tree.flatten((args, kwargs))
    leaves = [as_tensor(x, "vmap") for x in leaves]
    axes = axes_per_leaf(spec, args, "in_axes") + [0] * len(tree.leaves(kwargs))
    names = _leaf_names(args, kwargs)
    axes = [None if a is None else _normalize_axis(a, len(x.shape), x.shape, n)
            for x, a, n in zip(leaves, axes, names)]
    return leaves, axes, treedef, _batch_size(leaves, axes, names, axis_size)


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_name=None, axis_size=None):
    """fun mapped over an axis of its arguments (JAX's `jax.vmap`). `axis_name` is accepted
    for compatibility; tapejit has no collectives that would read it."""
    require_callable(fun, "vmap")
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not (in_axes is None or isinstance(in_axes, (int, tuple))):
        raise _bad_in_axes(in_axes)

    @wraps(fun)
    def wrapped(*args, **kwargs):
        leaves, axes, treedef, size = _mapped_leaves(in_axes, axis_size, args, kwargs)
        program, out_tree, variables, consts = _stage_example(fun, leaves, axes, treedef)
        values = leaves + [v.read() for v in variables] + list(consts)
        dims = axes + [None] * (len(variables) + len(consts))
        outs, out_dims = batch_eval(program, values, dims)
        out_value = tree.unflatten(out_tree, outs)
        placed = [_place(x, d, a, size) for x, d, a in
                  zip(outs, out_dims, axes_per_leaf(out_axes, out_value, "out_axes"))]
        return tree.unflatten(out_tree, placed)

    return wrapped


def vectorized_map(fn: Callable, elems, fallback_to_while_loop: bool = True, warn: bool = True):
    """TensorFlow's `tf.vectorized_map`: fn applied to each slice of `elems` (a tensor or a
    nested structure of them) along axis 0, the results stacked along axis 0. If an op
    cannot be vectorized (a primitive without a batching rule) and fallback_to_while_loop
    is set, fn runs once per slice instead (with a warning when `warn`), as TF falls back
    to a while_loop; otherwise the error is raised."""
    require_callable(fn, "vectorized_map")
    try:
        return vmap(fn)(elems)
    except NoBatchRuleError as e:
        if not fallback_to_while_loop:
            raise
        if warn:
            warnings.warn(f"vectorized_map falls back to a loop: {e}", stacklevel=2)
    return _looped(fn, elems)


def _looped(fn: Callable, elems):
    leaves, treedef = tree.flatten(elems)
    leaves = [as_tensor(x, "vectorized_map") for x in leaves]
    results = [fn(tree.unflatten(treedef, [x[i] for x in leaves]))
               for i in range(leaves[0].shape[0])]
    out_leaves, out_tree = tree.flatten(results[0])
    columns = zip(*(tree.leaves(r) for r in results))
    return tree.unflatten(out_tree, [ops.stack(list(c), 0) for c in columns])
