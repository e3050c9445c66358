"""Click triplets from recorded sessions: (query, clicked product, weight, skipped products above).

- positive: a product whose position-debiased attractiveness for the query (its clicks weighted by the
  inverse of their rank's examination propensity, over its impressions; click_model.py) reaches a
  threshold, weighted by it: position bias does not decide what the tower learns, and a result
  clicked now and then wherever it is shown (noise) does not count as relevant;
- hard negatives: products shown for the query above the positive that stay below the threshold ("skip
  above", Joachims et al., "Accurately Interpreting Clickthrough Data as Implicit Feedback", SIGIR
  2005): examined, very likely, and passed over;
- in-batch negatives are added at training time from other rows' positives, except products that
  were ever clicked for the row's own query.
- query chains (Radlinski and Joachims, "Query Chains: Learning to Rank from Implicit Feedback",
  KDD 2005): when a shopper's visit (SearchInput.sessionId) has a search they clicked nothing on,
  followed within `chain_window` by a reworded search they did click on, the reworded search's
  relevant products are positives of the first wording too, weighted by `chain_weight` times their
  attractiveness; the first wording's unclicked results are their negatives.
Products that the gallery does not hold (deleted since, or never embedded) are left out and counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Set, Tuple

from .click_model import PositionBiasModel, attractiveness
from .search_log import Session


@dataclass
class Triplet:
    query: str
    positive: int  # gallery row
    weight: float
    negatives: List[int]  # gallery rows


@dataclass
class TripletSet:
    triplets: List[Triplet]
    sessions: int  # sessions with at least one usable click
    queries: int
    missing_products: int
    clicked_by_query: Dict[str, Set[int]]
    chained: int = 0

    def as_dict(self) -> dict:
        return {"triplets": len(self.triplets), "chainedTriplets": self.chained, "sessionsWithClicks": self.sessions,
                "queries": self.queries, "productsNotInGallery": self.missing_products}


def query_key(q: str) -> str:
    return " ".join(q.lower().split())


def _seconds(t: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()


def query_chains(sessions: List[Session], window: float = 600.0) -> List[Tuple[Session, List[Session]]]:
    """(first wording's page, the next wording's pages) for every visit where a wording got no click
    on any of its pages and the next wording, within `window` seconds, got one."""
    visits: Dict[str, List[Session]] = {}
    for s in sessions:
        if s.session:
            visits.setdefault(s.session, []).append(s)
    chains = []
    for searches in visits.values():
        searches.sort(key=lambda s: (s.time, s.offset))
        groups: List[List[Session]] = []
        for s in searches:
            if groups and query_key(groups[-1][0].query) == query_key(s.query):
                groups[-1].append(s)
            else:
                groups.append([s])
        for a, b in zip(groups, groups[1:]):
            if any(s.clicks for s in a) or not any(s.clicks for s in b):
                continue
            if _seconds(b[0].time) - _seconds(a[-1].time) > window:
                continue
            chains.append((a[0], b))
    return chains


def build_triplets(sessions: List[Session], rows: Dict[str, int], pbm: PositionBiasModel,
                   max_negatives: int = 8, clip: float = 10.0, threshold: float = 0.25,
                   chain_weight: float = 0.5, chain_window: float = 600.0) -> TripletSet:
    """One triplet per (query, product) pair whose position-debiased attractiveness (click_model.
    attractiveness: inverse-propensity-weighted clicks) reaches `threshold`, weighted by it; its
    negatives are the products shown for the same query above the pair's best rank whose
    attractiveness stays below the threshold (skipped above)."""
    gamma = attractiveness(sessions, pbm, clip=clip)
    spelling: Dict[str, str] = {}
    clicked_sessions: Dict[str, set] = {}
    for s in sessions:
        key = query_key(s.query)
        spelling.setdefault(key, s.query)
        if s.clicks:
            clicked_sessions.setdefault(key, set()).add(s.search_id)
    by_query: Dict[str, list] = {}
    for (q, pid), a in gamma.items():
        by_query.setdefault(q, []).append((pid, a))
    triplets: List[Triplet] = []
    clicked_by_query: Dict[str, Set[int]] = {}
    missing = 0
    used_sessions: set = set()
    for q, pairs in by_query.items():
        positives = [(pid, a) for pid, a in pairs if a.clicks > 0 and a.value >= threshold]
        if not positives:
            continue
        for pid, a in positives:
            if pid not in rows:
                missing += 1
                continue
            clicked_by_query.setdefault(q, set()).add(rows[pid])
            negatives = sorted((b.best_rank, rows[n]) for n, b in pairs
                               if b.value < threshold and b.best_rank < a.best_rank and n in rows)
            triplets.append(Triplet(spelling[q], rows[pid], a.value, [r for _, r in negatives[:max_negatives]]))
        used_sessions |= clicked_sessions.get(q, set())
    chained: Dict[Tuple[str, int], Triplet] = {}
    for first, then in query_chains(sessions, chain_window):
        q = query_key(first.query)
        skipped = [rows[p] for p in first.shown[:max_negatives] if p in rows]
        for s in then:
            for pid in s.clicks:
                a = gamma.get((query_key(s.query), pid))
                if a is None or a.value < threshold or pid not in rows:
                    continue
                weight = chain_weight * a.value
                key = (q, rows[pid])
                if key not in chained or chained[key].weight < weight:
                    chained[key] = Triplet(first.query, rows[pid], weight, [r for r in skipped if r != rows[pid]])
                used_sessions.add(first.search_id)
    for (q, row), t in chained.items():
        clicked_by_query.setdefault(q, set()).add(row)
        triplets.append(t)
    result = TripletSet(triplets, len(used_sessions), len(clicked_by_query), missing, clicked_by_query)
    result.chained = len(chained)
    return result
