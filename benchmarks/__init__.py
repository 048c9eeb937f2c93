"""tapejit's benchmark harness: tapejit beside JAX, PyTorch, TensorFlow, autograd and NumPy.

Run it as `python -m benchmarks` (see benchmarks/README.md).
"""
