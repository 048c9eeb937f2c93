"""Backends that run programs: the NumPy interpreter and the Numba codegen."""
