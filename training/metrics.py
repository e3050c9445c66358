"""Ranking metrics over embeddings, shared by training's validation (train.validate) and the
trials (trial.measure), so both report the same definitions as the TypeScript evaluation:
precision at k over the top k, recall at k as the share of a query's relevant products in its
top k, with the query's own reference product left out of the ranking where it has one."""
from __future__ import annotations

from typing import Collection, Optional, Sequence

import numpy as np
import torch


@torch.no_grad()
def top_k(queries: torch.Tensor, gallery: torch.Tensor, k: int, exclude: Optional[torch.Tensor] = None,
          chunk: int = 1024) -> np.ndarray:
    """int64 [Q, min(k, N)]: the gallery rows of highest dot product per query, best first. The
    score matrix is built `chunk` queries at a time (25,000 validation products times thousands of
    queries would not fit at once); `exclude` names one gallery row per query to leave out (-1:
    none), as a composed query leaves out its reference."""
    k = min(k, gallery.shape[0])
    out = []
    for s in range(0, queries.shape[0], chunk):
        scores = queries[s: s + chunk] @ gallery.t()
        if exclude is not None:
            ex = exclude[s: s + chunk].to(scores.device)
            rows = torch.nonzero(ex >= 0).flatten()
            scores[rows, ex[rows]] = float("-inf")
        best = scores.argmax(dim=1, keepdim=True) if k == 1 else scores.topk(k, dim=1).indices
        out.append(best.cpu())
    return torch.cat(out).numpy() if out else np.zeros((0, k), dtype=np.int64)


def precision_at(top: np.ndarray, relevant: Sequence[Collection[int]], k: int) -> float:
    """Mean over queries of (relevant products among the first k) / k."""
    if len(relevant) == 0:
        return float("nan")
    return float(np.mean([sum(int(j) in rel for j in row[:k]) / k for row, rel in zip(top, relevant)]))


def recall_at(top: np.ndarray, relevant: Sequence[Collection[int]], k: int) -> float:
    """Mean over queries of (relevant products among the first k) / (relevant products)."""
    if len(relevant) == 0:
        return float("nan")
    return float(np.mean([sum(int(j) in rel for j in row[:k]) / len(rel) for row, rel in zip(top, relevant)]))


def mean_r10_r50(top: np.ndarray, relevant: Sequence[Collection[int]]) -> float:
    """The composed-retrieval score: 100 x the mean of R@10 and R@50."""
    return 50.0 * (recall_at(top, relevant, 10) + recall_at(top, relevant, 50))
