"""Automatic differentiation: linearize with JVP rules, transpose the linear program; the
recorded-op graph of tapes and the executors of their backward passes."""
