"""tj.optimizers: Keras 3's SGD, Adam, AdamW, RMSprop and Adagrad updating Variables in place
(eagerly and inside jit), learning-rate schedules, clipping and an optax-shaped functional form."""

from tapejit.optimizers import functional, schedules
from tapejit.optimizers.base import Optimizer
from tapejit.optimizers.clipping import clip_by_global_norm, clip_by_value, global_norm
from tapejit.optimizers.rules import SGD, Adagrad, Adam, AdamW, RMSprop
from tapejit.optimizers.schedules import HyperparameterError

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "HyperparameterError", "Optimizer", "RMSprop",
           "clip_by_global_norm", "clip_by_value", "functional", "global_norm", "schedules"]
