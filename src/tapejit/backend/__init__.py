"""Backends run programs: `interface.py` says what each provides, each has a folder of its
own (`numba_cpu/`, `interpreter/`), and `executable.py` chooses between them."""
