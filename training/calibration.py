"""Calibration of classifier probabilities, used by the attribute heads (training.attributes):
expected calibration error, a softmax temperature fitted by negative log-likelihood, and the
lowest confidence above which predictions reach a given precision.

All functions take numpy arrays and are pure; they are fitted and measured on validation data."""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(probs: np.ndarray, labels: np.ndarray, floor: float = 1e-12) -> float:
    """Mean negative log-likelihood of the true labels."""
    if len(labels) == 0:
        return float("nan")
    return float(-np.mean(np.log(np.maximum(probs[np.arange(len(labels)), labels], floor))))


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top-1 prediction: the confidences cut into `bins` equal-width
    bins over [0, 1]; the mean over bins of |accuracy - mean confidence|, weighted by the bin's share
    of the predictions (Guo et al. 2017)."""
    if len(labels) == 0:
        return float("nan")
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    which = np.minimum((conf * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def fit_temperature(sets: Sequence[Tuple[np.ndarray, np.ndarray]], lo: float = 0.05, hi: float = 20.0,
                    iterations: int = 60) -> float:
    """The temperature T minimising the mean over `sets` of each set's mean NLL of softmax(logits / T)
    (each (logits, labels) set weighs the same whatever its size). Golden-section search on log T:
    the NLL of a temperature-scaled softmax is convex in 1 / T."""
    sets = [(l, y) for l, y in sets if len(y) > 0]
    if not sets:
        return 1.0

    def loss(log_t: float) -> float:
        t = math.exp(log_t)
        return float(np.mean([nll(softmax(l, t), y) for l, y in sets]))

    a, b = math.log(lo), math.log(hi)
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = loss(c), loss(d)
    for _ in range(iterations):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = loss(d)
    return float(math.exp((a + b) / 2))


def threshold_for_precision(confidence: np.ndarray, correct: np.ndarray, target: float,
                            min_support: int) -> Optional[float]:
    """The lowest confidence t such that, for every t' >= t, the predictions with confidence >= t' are
    right at least `target` of the time, or fewer than `min_support` of them (too few to measure).
    None when there are no predictions; a value above every confidence (its next float) when even the
    `min_support` most confident predictions fall short."""
    n = len(confidence)
    if n == 0:
        return None
    order = np.argsort(-confidence, kind="stable")
    conf = confidence[order]
    right = np.cumsum(correct[order].astype(np.float64))
    # a threshold t keeps a whole tie group: prefixes end where the confidence changes
    ends = np.flatnonzero(np.append(conf[1:] != conf[:-1], True))  # last index of each tie group
    size = ends + 1
    bad = (size >= min_support) & (right[ends] / size < target)
    if not bad.any():
        return float(conf[-1])
    first_bad = int(np.flatnonzero(bad)[0])
    if first_bad == 0:
        return float(np.nextafter(conf[0], np.inf))
    return float(conf[ends[first_bad - 1]])


def precision_above(confidence: np.ndarray, correct: np.ndarray, t: Optional[float]) -> Tuple[float, float, int]:
    """(precision, coverage, count) of the predictions with confidence >= t."""
    if t is None or len(confidence) == 0:
        return float("nan"), 0.0, 0
    keep = confidence >= t
    k = int(keep.sum())
    return (float(correct[keep].mean()) if k else float("nan")), k / len(confidence), k
