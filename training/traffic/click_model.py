"""A position-based click model (PBM) estimated from the log itself by expectation-maximisation.

PBM: a result at rank k for query q is clicked when it is examined, with probability theta_k that
depends on the rank only, and attractive, with probability gamma_{q,d} that depends on the query and
the product only: P(click) = theta_k * gamma_{q,d}. EM over the impressions (every result a page
showed, clicked or not) estimates both (Chuklin, Markov and de Rijke, "Click Models for Web Search",
2015, section 4.1; Wang et al., "Learning to Rank with Selection Bias in Personal Search", SIGIR
2016, for the propensity use). A click at rank k is then weighted by 1 / theta_k relative to rank 1
(inverse propensity scoring, clipped), so that clicks low in the list, which needed more attraction
to happen, count for more than the clicks the top ranks receive by position alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from .search_log import Session


@dataclass
class PositionBiasModel:
    theta: np.ndarray  # examination probability per rank, index 0 = rank 1
    iterations: int
    impressions: int

    def propensity(self, rank: int) -> float:
        """Examination probability of a 1-based rank relative to rank 1."""
        k = min(max(rank, 1), len(self.theta)) - 1
        return float(self.theta[k] / max(self.theta[0], 1e-9))

    def weight(self, rank: int, clip: float = 10.0) -> float:
        return float(min(1.0 / max(self.propensity(rank), 1e-9), clip))

    def as_dict(self) -> dict:
        return {"examination": [round(float(t), 4) for t in self.theta], "iterations": self.iterations,
                "impressions": self.impressions}


def impressions(sessions: List[Session], max_rank: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rank index, query-product pair index, clicked) per shown result up to `max_rank`."""
    pairs: Dict[Tuple[str, str], int] = {}
    ranks, keys, clicked = [], [], []
    for s in sessions:
        for i, pid in enumerate(s.shown):
            rank = s.position(i)
            if rank > max_rank:
                break
            ranks.append(rank - 1)
            keys.append(pairs.setdefault((s.query.lower(), pid), len(pairs)))
            clicked.append(1.0 if pid in s.clicks else 0.0)
    return np.asarray(ranks, dtype=np.int64), np.asarray(keys, dtype=np.int64), np.asarray(clicked)


def estimate(sessions: List[Session], max_rank: int = 50, iterations: int = 100, tol: float = 1e-6) -> PositionBiasModel:
    """EM for theta (per rank) and gamma (per query-product pair). Ranks no session showed keep the
    last estimated rank's value, so propensities are defined everywhere."""
    ranks, keys, clicked = impressions(sessions, max_rank)
    n_ranks = int(ranks.max()) + 1 if len(ranks) else 1
    theta = np.full(n_ranks, 0.5)
    gamma = np.full(int(keys.max()) + 1 if len(keys) else 1, 0.5)
    it = 0
    for it in range(1, iterations + 1):
        t, g = theta[ranks], gamma[keys]
        denom = np.maximum(1.0 - t * g, 1e-12)
        # posteriors of "examined" and "attractive" for the unclicked impressions
        p_exam = np.where(clicked > 0, 1.0, t * (1.0 - g) / denom)
        p_attr = np.where(clicked > 0, 1.0, g * (1.0 - t) / denom)
        new_theta = np.bincount(ranks, weights=p_exam, minlength=n_ranks) / np.maximum(np.bincount(ranks, minlength=n_ranks), 1)
        new_gamma = np.bincount(keys, weights=p_attr, minlength=len(gamma)) / np.maximum(np.bincount(keys, minlength=len(gamma)), 1)
        new_theta = np.clip(new_theta, 1e-4, 1.0)
        change = max(float(np.abs(new_theta - theta).max()), float(np.abs(new_gamma - gamma).max()))
        theta, gamma = new_theta, new_gamma
        if change < tol:
            break
    seen = np.bincount(ranks, minlength=n_ranks) > 0
    for k in range(1, n_ranks):
        if not seen[k]:
            theta[k] = theta[k - 1]
    return PositionBiasModel(theta=theta, iterations=it, impressions=int(len(ranks)))


@dataclass
class Attractiveness:
    """Position-debiased relevance of a (query, product) pair: the inverse-propensity-weighted click
    rate, smoothed towards a prior, and the counts it came from."""
    value: float
    impressions: int
    clicks: int
    best_rank: int


def attractiveness(sessions: List[Session], pbm: PositionBiasModel, max_rank: int = 50, clip: float = 10.0,
                   prior: float = 0.05, strength: float = 2.0) -> Dict[Tuple[str, str], Attractiveness]:
    """gamma(q, d) = (sum over its clicks of 1/propensity(rank) + strength * prior) / (impressions + strength).

    The inverse-propensity-weighted click rate is an unbiased estimate of the attractiveness of the
    pair under the position-based model (each impression at rank k counts as examined with
    probability theta_k); the prior keeps a pair seen once and clicked once from counting as certain.
    Clicks on noise (a result clicked now and then wherever it is shown) stay near their low rate,
    while a product clicked whenever it is examined approaches 1."""
    acc: Dict[Tuple[str, str], list] = {}
    for s in sessions:
        key_q = " ".join(s.query.lower().split())
        for i, pid in enumerate(s.shown):
            rank = s.position(i)
            if rank > max_rank:
                break
            a = acc.setdefault((key_q, pid), [0.0, 0, 0, rank])
            a[1] += 1
            a[3] = min(a[3], rank)
            if pid in s.clicks:
                a[0] += pbm.weight(rank, clip)
                a[2] += 1
    return {k: Attractiveness(min(1.0, (w + strength * prior) / (n + strength)), n, c, r) for k, (w, n, c, r) in acc.items()}
