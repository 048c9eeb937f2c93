"""tj.losses: Keras 3's losses, as functions (per-sample values) and classes (weighted and
reduced), built from differentiable ops so they run under tj.GradientTape and tj.jit."""

from tapejit.losses.classes import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Huber,
    KLDivergence,
    Loss,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
)
from tapejit.losses.functions import (
    KLD,
    MAE,
    MSE,
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    kl_divergence,
    kld,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
    sparse_categorical_crossentropy,
)
from tapejit.losses.reduction import REDUCTIONS

__all__ = ["KLD", "MAE", "MSE", "REDUCTIONS", "BinaryCrossentropy", "CategoricalCrossentropy",
           "Huber", "KLDivergence", "Loss", "LossFunctionWrapper", "MeanAbsoluteError",
           "MeanSquaredError", "SparseCategoricalCrossentropy", "binary_crossentropy",
           "categorical_crossentropy", "huber", "kl_divergence", "kld", "mae",
           "mean_absolute_error", "mean_squared_error", "mse", "sparse_categorical_crossentropy"]
