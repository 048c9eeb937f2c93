"""Conformance-table entries (tests/numpy_table.py) for tapejit.numpy: whole-array and
tolerance comparisons (np.isclose, np.allclose, np.array_equal, np.array_equiv), np.pad in
every mode and pad_width form, and the complex helpers on real data (np.real, np.angle,
...)."""

from __future__ import annotations

import numpy as np

import tapejit.numpy as tnp
from tests.numpy_table import ALL, BINARY, UNARY, Entry, _both, _same

CLOSE_KWARGS = [{}, dict(equal_nan=True), dict(rtol=0.5, atol=0.25)]

COMPARISONS = [
    _same("isclose", ALL, BINARY, kwargs=CLOSE_KWARGS, special=True),
    _both("isclose_python_numbers", lambda m, a: m.isclose(a, 1, atol=1),
          [((3, 4),), ((),)]),
    _both("isclose_self", lambda m, a: m.isclose(a, a), UNARY, special=True),
    _same("allclose", ALL, BINARY, kwargs=CLOSE_KWARGS, special=True),
    _both("allclose_self", lambda m, a: m.allclose(a, a), UNARY, special=True),
    _both("allclose_self_nan", lambda m, a: m.allclose(a, a, equal_nan=True), [((5,),)],
          special=True),
    _same("array_equal", ALL, [((3, 4), (3, 4)), ((3, 4), (4, 3)), ((0, 3), (0, 3)),
                               ((0, 3), (3, 0)), ((5,), ()), ((2, 2), (2, 2))],
          kwargs=[{}, dict(equal_nan=True)], special=True),
    *[_both(f"array_equal_self{tag}", lambda m, a, kw=kw: m.array_equal(a, a, **kw), UNARY,
            special=True) for tag, kw in (("", {}), ("_nan", dict(equal_nan=True)))],
    _both("array_equal_cast", lambda m, a: m.array_equal(a, m.astype(a, np.float64)),
          [((3, 4),), ((),)]),
    _same("array_equiv", ALL, [((3, 4), (4,)), ((3, 4), (3,)), ((2, 2), (2, 2)), ((), ()),
                               ((0, 3), (3,)), ((0, 3), (2,))], special=True),
    _both("array_equiv_broadcast", lambda m, a: m.array_equiv(m.stack([a, a]), a),
          [((3, 4),), ((),), ((0,),)]),
]

SHAPES_1D_3D = [((5,),), ((3, 4),), ((2, 3, 4),)]
WIDTH_FORMS = [2, (3,), (1, 2), ((2, 1),), [[0, 2]], {-1: (2, 1)}, {0: 1}, np.int64(1)]


def _pad(name, width, mode, shapes=SHAPES_1D_3D, **kw):
    """An entry padding each argument by `width` (a form that fits every shape given)."""
    return _both(name, lambda m, a: m.pad(a, width, mode, **kw), shapes)


PADS = [
    *[_pad(f"pad_width_form{i}", w, "constant") for i, w in enumerate(WIDTH_FORMS)],
    _pad("pad_width_per_axis", ((1, 2), (0, 3)), "edge", [((3, 4),), ((1, 1),)]),
    _pad("pad_width_column", [[1], [2]], "wrap", [((3, 4),)]),
    _pad("pad_width_0d", 2, "constant", [((),)]),
    _pad("pad_constant_values", ((1, 2), (2, 1)), "constant", [((3, 4),)],
         constant_values=((-1, 2), (3, -4))),
    _pad("pad_constant_pair", 2, "constant", constant_values=(1.5, -2)),
    _pad("pad_constant_scalar", (1, 3), "constant", constant_values=7),
    _pad("pad_constant_empty_axes", ((1, 2), (0, 1)), "constant", [((0, 3),), ((2, 0),)],
         constant_values=5),
    _pad("pad_constant_empty_1d", 3, "constant", [((0,),)], constant_values=(1, 2)),
    _pad("pad_edge", ((2, 1),), "edge"),
    _pad("pad_edge_empty", {1: 2}, "edge", [((0, 3),)]),
    *[_pad(f"pad_{mode}_{kind}", w, mode, reflect_type=kind)
      for mode in ("reflect", "symmetric") for kind in ("even", "odd")
      for w in [((2, 3),)]],
    *[_pad(f"pad_{mode}_wider_{kind}", (9, 7), mode, [((3,),), ((2, 3),), ((1, 4),)],
           reflect_type=kind) for mode in ("reflect", "symmetric") for kind in ("even", "odd")],
    _pad("pad_wrap", ((2, 3),), "wrap"),
    _pad("pad_wrap_wider", (11, 4), "wrap", [((3,),), ((2, 3),)]),
    _pad("pad_reflect_empty", {0: 2}, "reflect", [((3, 0),)]),
    _pad("pad_linear_ramp", (3, 2), "linear_ramp"),
    _pad("pad_linear_ramp_end_values", ((2, 3), (1, 2)), "linear_ramp", [((3, 4),)],
         end_values=((5, -3), (2.5, 0))),
    *[_pad(f"pad_{mode}", (2, 3), mode) for mode in ("maximum", "minimum", "mean", "median")],
    *[_pad(f"pad_{mode}_stat_length", ((2, 1), (1, 2)), mode, [((3, 5),)],
           stat_length=((1, 2), (2, 9))) for mode in ("maximum", "minimum", "mean", "median")],
    _pad("pad_mean_empty", {-1: 2}, "mean", [((0, 3),)]),
    _both("pad_empty", lambda m, a: m.pad(a, (1, 2), "empty") if m is tnp else
          np.pad(a, (1, 2), "constant"), SHAPES_1D_3D),
]

COMPLEX_HELPERS = [
    *[_same(n, ALL, UNARY, special=True) for n in ("real", "imag", "conj", "conjugate",
                                                   "isreal", "iscomplex", "real_if_close")],
    _same("angle", ALL, UNARY, kwargs=[{}, dict(deg=True)], special=True),
    *[Entry(n, lambda a, n=n: tnp.asarray(getattr(tnp, n)(a)),
            lambda a, n=n: np.asarray(getattr(np, n)(a)), UNARY)
      for n in ("isrealobj", "iscomplexobj")],
]

ENTRIES: list = COMPARISONS + PADS + COMPLEX_HELPERS
