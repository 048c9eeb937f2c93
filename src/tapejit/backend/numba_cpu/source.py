"""What generated kernel source is made of: the text, the runtime size and constant tables,
and the builder that hands out names, sizes and constants while the code is written."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tapejit.dtypes import short_name
from tapejit.ir import Eqn, Lit, Namer, Program, Style, Var, format_eqn, format_program


@dataclass(frozen=True)
class KernelSource:
    """Generated source and the runtime tables it reads: sizes (int64) and float literals."""

    text: str
    sizes: np.ndarray
    consts: np.ndarray
    parallel: bool
    serial_convolutions: bool = False  # one large enough for threads runs serially here
    half_inputs: tuple[int, ...] = ()   # float16 inputs and outputs: the kernel is the
    half_outputs: tuple[int, ...] = ()  # float32 program, converted around the call


def np_type(dtype: np.dtype) -> str:
    return "np.bool_" if dtype.kind == "b" else f"np.{dtype.name}"


class KernelBuilder:
    """Accumulates a kernel's lines, its size and constant tables, and its names."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.namer = Namer()
        self.docstring = format_program(program, sized=False, namer=self.namer)
        self.lines: list[str] = []
        self.const_lines: list[str] = []
        self.sizes: list[int] = []
        self.consts: list[float] = []
        self.const_names: dict[tuple, str] = {}
        self.math: set[str] = set()
        self.parallel = False
        self.any_size = False  # groups run in parallel whatever their size (a sibling text)
        self.threads_ok = False  # generate(serial=False): a loop may be a prange
        self.threaded_convolutions = False  # large convolutions and poolings may be too
        self.serial_convolutions = False  # one large enough for threads runs serially
        self.fresh: set[int] = set()
        self.given: set[int] = set()  # outputs the caller allocates (arguments after inputs)
        self.temp = 0
        self.prefix = ""  # the extra indent of a loop or branch body being written

    def name(self, var: Var) -> str:
        return "v_" + self.namer(var)

    def new_temp(self, stem: str = "t") -> str:
        self.temp += 1
        return f"{stem}{self.temp}"

    def size(self, n: int) -> str:
        self.sizes.append(int(n))
        return f"S[{len(self.sizes) - 1}]"

    def shape(self, dims) -> str:
        inner = ", ".join(self.size(d) for d in dims)
        return f"({inner},)" if len(dims) == 1 else f"({inner})"

    def const(self, value, dtype: np.dtype, key=None) -> str:
        """A hoisted, typed constant read from the C table (floats) or written inline.

        Constants the code itself needs (the 1 of 1/x) are shared by value; a program's
        literals by `key` (the Lit itself), so two literals that happen to be equal today
        (1/batch and 1 - beta) never change the kernel's text.
        """
        dtype = np.dtype(dtype)
        if dtype.kind == "b":
            return "True" if bool(value) else "False"
        if dtype.kind in "iu":
            return f"{np_type(dtype)}({int(value)})"
        key = (dtype.str, repr(float(value))) if key is None else ("lit", id(key))
        if key not in self.const_names:
            self.consts.append(float(value))
            name = f"c{len(self.const_names)}"
            self.const_names[key] = name
            self.const_lines.append(f"    {name} = {np_type(dtype)}(C[{len(self.consts) - 1}])")
        return self.const_names[key]

    def atom(self, atom) -> str:
        if isinstance(atom, Lit):
            return self.const(atom.value.item(), atom.value.dtype, key=atom)
        return self.name(atom)

    def comment(self, eqn: Eqn, indent: str) -> None:
        text = format_eqn(self.namer, eqn, Style(sized=False))
        self.lines.append(f"{self.prefix}{indent}# {text}")

    def emit(self, line: str, indent: str = "    ") -> None:
        self.lines.append(self.prefix + indent + line)

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.sizes, np.int64), np.array(self.consts, np.float64)


def vmath_name(fn: str, dtype: np.dtype) -> str:
    return f"{fn}_{short_name(dtype)}"
