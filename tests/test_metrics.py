"""tj.metrics' stateful classes (weighted means across batches, reset, AUC) against NumPy."""

from __future__ import annotations

import numpy as np

import tapejit as tj

EPS = 1e-7
C = 3
RNG = np.random.default_rng(11)


def _one_hot(labels):
    return np.eye(C)[labels]


def test_stateful_metrics_accumulate_weighted_means_and_reset():
    batches = [(RNG.integers(0, C, 5), RNG.normal(size=(5, C)), RNG.uniform(size=5))
               for _ in range(3)]
    metric = tj.metrics.SparseCategoricalAccuracy()
    hits, weights = [], []
    for labels, logits, w in batches:
        metric.update_state(tj.constant(labels), tj.constant(logits), sample_weight=w)
        hits.append((np.argmax(logits, -1) == labels) * w)
        weights.append(w)
    result = metric.result()
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.numpy(), np.sum(hits) / np.sum(weights), rtol=1e-6)
    metric.reset_state()
    assert metric.result().numpy() == 0.0
    labels, logits, _ = batches[0]
    metric.update_state(labels, logits)
    np.testing.assert_allclose(metric.result().numpy(),
                               np.mean(np.argmax(logits, -1) == labels), rtol=1e-6)


def test_binary_categorical_accuracy_and_mean_match_numpy():
    labels, probs = RNG.integers(0, 2, (6, 2)), RNG.uniform(size=(6, 2))
    w = RNG.uniform(size=6)
    binary = tj.metrics.BinaryAccuracy(threshold=0.4)
    binary.update_state(labels, probs, w)
    per_sample = np.mean(labels == (probs > 0.4), -1)
    np.testing.assert_allclose(binary.result().numpy(), np.sum(per_sample * w) / w.sum(),
                               rtol=1e-6)
    onehot, scores = _one_hot(RNG.integers(0, C, 6)), RNG.normal(size=(6, C))
    categorical = tj.metrics.CategoricalAccuracy()
    categorical.update_state(onehot, scores)
    np.testing.assert_allclose(categorical.result().numpy(),
                               np.mean(onehot.argmax(-1) == scores.argmax(-1)), rtol=1e-6)
    mean = tj.metrics.Mean()
    mean.update_state([1.0, 2.0, 6.0], sample_weight=[1.0, 1.0, 2.0])
    mean.update_state(tj.constant([3.0]))
    np.testing.assert_allclose(mean.result().numpy(), (1 + 2 + 12 + 3) / 5, rtol=1e-6)


def _trapezoid_roc_auc(labels, scores, weights, num_thresholds):
    """The ROC AUC of confusion counts at Keras's thresholds, by the trapezoidal rule."""
    inner = np.arange(1, num_thresholds - 1) / (num_thresholds - 1)
    points = []
    for t in np.concatenate([[-EPS], inner, [1 + EPS]]):
        predicted = scores > t
        tpr = np.sum(weights * (predicted & labels)) / np.sum(weights * labels)
        fpr = np.sum(weights * (predicted & ~labels)) / np.sum(weights * ~labels)
        points.append((fpr, tpr))
    area = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        area += (x0 - x1) * (y0 + y1) / 2
    return area


def _rank_auc(labels, scores):
    """The exact ROC AUC: the chance a positive scores above a negative (ties count half)."""
    pos, neg = scores[labels][:, None], scores[~labels][None, :]
    return np.mean((pos > neg) + 0.5 * (pos == neg))


def test_auc_is_the_trapezoid_over_thresholds_and_approaches_the_exact_auc():
    labels = RNG.integers(0, 2, 60).astype(bool)
    scores = np.clip(RNG.normal(0.5 + 0.2 * labels, 0.2), 0, 1)
    weights = RNG.uniform(0.5, 2, 60)
    for n in (7, 200):
        auc = tj.metrics.AUC(num_thresholds=n)
        auc.update_state(labels[:30], scores[:30], weights[:30])
        auc.update_state(labels[30:], tj.constant(scores[30:]), weights[30:])
        np.testing.assert_allclose(auc.result().numpy(),
                                   _trapezoid_roc_auc(labels, scores, weights, n), rtol=1e-6)
    fine = tj.metrics.AUC(num_thresholds=20001)
    fine.update_state(labels, scores)
    assert abs(fine.result().numpy() - _rank_auc(labels, scores)) < 2e-3
    try:
        from sklearn.metrics import roc_auc_score
    except ImportError:
        return
    np.testing.assert_allclose(fine.result().numpy(), roc_auc_score(labels, scores), atol=2e-3)


def test_auc_from_logits_and_reset():
    labels, logits = np.array([0, 0, 1, 1]), np.array([-3.0, 0.5, -0.2, 2.0])
    auc = tj.metrics.AUC(from_logits=True)
    np.testing.assert_allclose(auc(labels, logits).numpy(), 0.75, rtol=1e-6)
    auc.reset_state()
    assert auc.result().numpy() == 0.0
