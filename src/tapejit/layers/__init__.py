"""tj.layers: Keras 3 style layers (lazy build, unique scoped names, weight I/O)."""

from tapejit.layers.base import Layer, get_activation, get_initializer, get_regularizer
from tapejit.layers.conv import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    Conv1D,
    Conv2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from tapejit.layers.core import Dense, Embedding, Flatten
from tapejit.layers.dropout import Dropout
from tapejit.layers.normalization import BatchNormalization, LayerNormalization
from tapejit.layers.sequential import Sequential
from tapejit.module import clear_session

__all__ = ["AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "BatchNormalization",
           "Conv1D", "Conv2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "MaxPooling1D",
           "MaxPooling2D", "Dense", "Dropout", "Embedding", "Flatten", "Layer",
           "LayerNormalization", "Sequential", "clear_session", "get_activation",
           "get_initializer", "get_regularizer"]
