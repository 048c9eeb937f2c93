"""The first tier's loops, branches and calls: the kernel's control flow (control_code.py)
with each body run by the first tier, equation by equation. A loop's carries are held the
way the kernel holds them (contiguous arrays, scalars), a cond clamps its index as the
kernel does, and a call runs its body in place."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tapejit.ir import Eqn, Program

RunBody = Callable[[list], list]
MakeRunner = Callable[[Program], RunBody]


def _steady(value):
    """A carry as the kernel keeps it: arrays contiguous (a view of a broadcast is not)."""
    if isinstance(value, np.ndarray) and value.ndim:
        return np.ascontiguousarray(value)
    return value


class _Scan:
    def __init__(self, eqn: Eqn, runner: MakeRunner) -> None:
        p = eqn.params
        self.body = runner(p["body"])
        self.length, self.reverse = p["length"], p["reverse"]
        self.nc, self.nk = p["num_consts"], p["num_carry"]
        self.y_types = [v.type for v in eqn.outputs[self.nk:]]

    def __call__(self, values: list) -> list:
        consts = values[:self.nc]
        carry = [_steady(c) for c in values[self.nc:self.nc + self.nk]]
        xs = values[self.nc + self.nk:]
        ys = [np.empty(t.shape, t.dtype) for t in self.y_types]
        steps = range(self.length - 1, -1, -1) if self.reverse else range(self.length)
        for i in steps:
            outs = self.body(consts + carry + [x[i] for x in xs])
            carry = [_steady(c) for c in outs[:self.nk]]
            for y, value in zip(ys, outs[self.nk:]):
                y[i] = value
        return carry + ys


class _While:
    def __init__(self, eqn: Eqn, runner: MakeRunner) -> None:
        p = eqn.params
        self.predicate, self.body = runner(p["predicate"]), runner(p["body"])
        self.npc, self.nb = p["predicate_nconsts"], p["body_nconsts"]

    def __call__(self, values: list) -> list:
        pred_consts = values[:self.npc]
        body_consts = values[self.npc:self.npc + self.nb]
        carry = [_steady(c) for c in values[self.npc + self.nb:]]
        while bool(self.predicate(pred_consts + carry)[0]):
            carry = [_steady(c) for c in self.body(body_consts + carry)]
        return carry


class _Cond:
    def __init__(self, eqn: Eqn, runner: MakeRunner) -> None:
        self.branches = [runner(b) for b in eqn.params["branches"]]

    def __call__(self, values: list) -> list:
        index = min(max(int(np.int64(values[0])), 0), len(self.branches) - 1)
        return [_steady(v) for v in self.branches[index](values[1:])]


class _Inline:
    """call, the custom-derivative calls, checkpoint: the body on the operands."""

    def __init__(self, eqn: Eqn, runner: MakeRunner) -> None:
        self.body = runner(eqn.params["body"])

    def __call__(self, values: list) -> list:
        return self.body(values)


CONTROL_STEPS: dict[str, Callable[[Eqn, MakeRunner], Callable[[list], list]]] = {
    "scan": _Scan, "while_loop": _While, "cond": _Cond, "call": _Inline,
    "custom_jvp_call": _Inline, "custom_vjp_call": _Inline, "checkpoint": _Inline,
    "linear_call": _Inline,
}
"""Primitive name -> step(eqn, make_runner): the higher-order primitives the first tier runs
(the same set as the kernel's CONTROL_CODE, but custom_vjp_lin, which never runs forward)."""
