"""Loading a cached kernel without importing the Numba modules its allocations came from.

A cached Numba function carries the environment (module globals and constants) of every
function linked into it; loading it rebuilds each by importing the module it came from.
A kernel that allocates an array links `np.empty`'s implementation, so its load imported
`numba.np.arrayobj` (and through it Numba's string types): 16 ms of a warm first call of
about 70 ms, measured here with nothing compiled in the process.

Compiled nopython code reads an environment's constants, never its globals (only object
mode looks names up there). So the environment of a Numba implementation module that is
not imported yet, and that holds no constants, is rebuilt here with globals naming the
module and nothing else. The module is imported as usual the moment anything compiles.
"""

from __future__ import annotations

import sys

from numba.core import environment

_NUMBA_REBUILD = environment._rebuild_env


def rebuild_env(modname, consts, env_name):
    if modname not in sys.modules and modname.startswith("numba.") and not consts:
        env = environment.lookup_environment(env_name)
        if env is None:
            env = environment.Environment({"__name__": modname})
            env.env_name = env_name
            environment.Environment._memo[env_name] = env
        return env
    return _NUMBA_REBUILD(modname, consts, env_name)


def install() -> None:
    """Unpickling a cached function looks `_rebuild_env` up by name: point it here."""
    environment._rebuild_env = rebuild_env
