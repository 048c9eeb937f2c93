"""tj.Module: a container that finds the Variables in its attributes, with TF/Keras naming
(unique default names, name scopes) and weight I/O (get/set, save/load to .npz).

Naming rules (as TF 2 and Keras 3):
- a Variable created by a layer is named '<scopes>/<layer>/<weight>:0', where <scopes> are
  the names of the layers whose call is running when the layer builds (Keras 3 builds a
  layer lazily inside its first call, so a Sequential's layers are 'sequential/dense/...';
  a layer called on its own first keeps its short name);
- a plain `tj.Module` (tf.Module) opens no scope by itself: decorate a method with
  `tj.Module.with_name_scope` to prefix what it creates, as in TF;
- default layer names are unique per thread (Keras's 'dense', 'dense_1', ...; reset them
  with `clear_session()`); an explicit `name=` is used as given.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import defaultdict
from contextlib import contextmanager

import numpy as np

from tapejit import tree
from tapejit.errors import TapejitError, op_error
from tapejit.site import user_site
from tapejit.tensor import Variable


class _Names(threading.local):
    def __init__(self) -> None:
        self.uids: defaultdict[str, int] = defaultdict(int)
        self.scopes: list[tuple[str, int | None]] = []


_NAMES = _Names()


def clear_session() -> None:
    """Restart default names from 'dense', 'dense_1'... (keras.utils.clear_session)."""
    _NAMES.uids.clear()


def unique_name(prefix: str) -> str:
    """Keras's auto_name: the first 'dense' is 'dense', the next 'dense_1', and so on."""
    _NAMES.uids[prefix] += 1
    count = _NAMES.uids[prefix]
    return prefix if count == 1 else f"{prefix}_{count - 1}"


def snake_case(name: str) -> str:
    """'LayerNormalization' -> 'layer_normalization', 'MLPModel' -> 'mlp_model' (TF's rule)."""
    name = re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name)
    return name.lower()


def keras_snake_case(name: str) -> str:
    """Keras 3's automatic names: 'Conv2D' -> 'conv2d', 'MaxPooling2D' -> 'max_pooling2d',
    'KLDivergence' -> 'kl_divergence' (a capital starts a word only before lowercase
    letters, or after one)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


@contextmanager
def name_scope(name: str, caller=None):
    """Prefix the Variables that layers create inside with `name/`; as Keras 3, a caller
    already innermost with the same name (a layer calling itself again) is not entered twice."""
    entry = (name, id(caller) if caller is not None else None)
    push = not _NAMES.scopes or caller is None or _NAMES.scopes[-1] != entry
    if push:
        _NAMES.scopes.append(entry)
    try:
        yield
    finally:
        if push:
            _NAMES.scopes.pop()


def scoped_name(owner, weight: str) -> str:
    """The path of weight `weight` of the module `owner`, under the open scopes."""
    scopes = list(_NAMES.scopes)
    if not scopes or scopes[-1] != (owner.name, id(owner)):
        scopes.append((owner.name, id(owner)))
    return "/".join([name for name, _ in scopes] + [weight])


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"a module name must be a non-empty string without '/', got {name!r}")
    return name


class Module:
    """Base class for models and layers; `trainable_variables` lists what optimizers update."""

    def __init__(self, name: str | None = None) -> None:
        self._name = _check_name(name) if name is not None else snake_case(type(self).__name__)

    @property
    def name(self) -> str:
        return self._name

    @staticmethod
    def with_name_scope(method):
        """Decorator: run `method` inside this module's name scope (tf.Module's)."""
        @functools.wraps(method)
        def scoped(self, *args, **kwargs):
            with name_scope(self.name, self):
                return method(self, *args, **kwargs)
        return scoped

    def _walk(self, seen: set[int]):
        for value in vars(self).values():
            for leaf in tree.leaves(value) if isinstance(value, (list, tuple, dict)) else [value]:
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
                if isinstance(leaf, Variable):
                    yield leaf
                elif isinstance(leaf, Module):
                    yield from leaf._walk(seen)

    @property
    def variables(self) -> tuple[Variable, ...]:
        return tuple(self._walk(set()))

    weights = variables

    @property
    def trainable_variables(self) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if v.trainable)

    @property
    def non_trainable_variables(self) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if not v.trainable)

    trainable_weights = trainable_variables
    non_trainable_weights = non_trainable_variables

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the values of `variables`, in that order."""
        return [np.array(v.numpy()) for v in self.variables]

    def set_weights(self, weights) -> None:
        """Assign a list of arrays to `variables` (same order and shapes); all are checked
        before any is assigned."""
        variables = self.variables
        weights = list(weights)
        if len(weights) != len(variables):
            raise _weights_error("set_weights", f"{self.name} has {len(variables)} variables, "
                                 f"got {len(weights)} arrays",
                                 "pass one array per variable, in the order of .variables")
        arrays = [_fitting(v, w, "set_weights") for v, w in zip(variables, weights)]
        for var, array in zip(variables, arrays):
            var.assign(array)

    def save_weights(self, path) -> None:
        """Write every variable to the .npz file `path`, keyed by variable name."""
        path = _npz_path(path, "save_weights")
        named = self._named_variables("save_weights")
        np.savez(path, **{name: np.asarray(v.numpy()) for name, v in named.items()})

    def load_weights(self, path) -> None:
        """Read a file written by save_weights; a missing, extra or misshapen entry is an
        error and then nothing is assigned."""
        path = _npz_path(path, "load_weights")
        named = self._named_variables("load_weights")
        stored = _read_npz(path)
        missing, extra = sorted(set(named) - set(stored)), sorted(set(stored) - set(named))
        if missing or extra:
            raise _weights_error("load_weights", f"{path} does not match {self.name}: missing "
                                 f"{missing}, unexpected {extra}",
                                 "load a file saved from a model built the same way (the "
                                 "same layer names: see tj.layers.clear_session)")
        arrays = {name: _fitting(v, stored[name], "load_weights") for name, v in named.items()}
        for name, var in named.items():
            var.assign(arrays[name])

    def _named_variables(self, how: str) -> dict[str, Variable]:
        variables = self.variables
        if not variables:
            raise _weights_error(how, f"{self.name} has no variables yet",
                                 "call it once on an input so that it builds its weights")
        named = {v.name: v for v in variables}
        if len(named) != len(variables):
            names = [v.name for v in variables]
            twice = sorted({n for n in names if names.count(n) > 1})
            raise _weights_error(how, f"variable names {twice} are not unique",
                                 "give the layers distinct names")
        return named


def _weights_error(how: str, problem: str, fix: str) -> TapejitError:
    return op_error(TapejitError, f"Module.{how}", problem, fix, user_site())


def _npz_path(path, how: str) -> str:
    path = str(path)
    if not path.endswith(".npz"):
        raise _weights_error(how, f"'{path}' is not a .npz path", "name the file '*.npz'")
    return path


def _read_npz(path: str) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError) as exc:
        raise _weights_error("load_weights", f"cannot read '{path}' as .npz ({exc})",
                             "pass a file written by save_weights") from None


def _fitting(var: Variable, value, how: str) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != tuple(var.shape):
        raise _weights_error(how, f"'{var.name}' has shape {tuple(var.shape)}, the value "
                             f"{array.shape}", "pass arrays of the variables' shapes")
    if not np.can_cast(array.dtype, var.dtype, "same_kind"):
        raise _weights_error(how, f"'{var.name}' is {var.dtype.name}, the value "
                             f"{array.dtype.name}", "pass values of a compatible dtype")
    return array.astype(var.dtype)
