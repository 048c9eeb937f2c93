"""tj.layers: Keras 3 style layers (lazy build, unique scoped names, weight I/O)."""

from tapejit.layers.base import Layer, get_activation, get_initializer, get_regularizer
from tapejit.layers.core import Dense, Embedding, Flatten
from tapejit.layers.dropout import Dropout
from tapejit.layers.normalization import BatchNormalization, LayerNormalization
from tapejit.layers.sequential import Sequential
from tapejit.module import clear_session

__all__ = ["BatchNormalization", "Dense", "Dropout", "Embedding", "Flatten", "Layer",
           "LayerNormalization", "Sequential", "clear_session", "get_activation",
           "get_initializer", "get_regularizer"]
