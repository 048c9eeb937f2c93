"""The NumPy interpreter backend: a program becomes a Python function calling each
equation's NumPy impl in order."""

from tapejit.backend.interpreter.backend import InterpreterBackend, InterpreterKernel
from tapejit.backend.interpreter.source import python_function, python_source

__all__ = ["InterpreterBackend", "InterpreterKernel", "python_function", "python_source"]
