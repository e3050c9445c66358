"""Recorded text searches as sessions, read from the server's event log or an exported file.

Two inputs, one shape:
- a data folder (or its `events.sqlite`): the server's search log. Each row of `searches` is one
  page served (its query, offset and result ids, in order); `search_events` holds the clicks and
  impressions clients recorded against it, with the 1-based position they were shown at. The file is
  opened read-only, so training can run beside a serving process.
- a JSON-lines file with one search per line: `{"searchId", "createdAt" or "day", "query",
  "shown": [ids in order], "offset"?, "sessionId"?, "clicks": [{"productId", "position"}]}` (the format of the seed
  catalogue's clicks/<split>.jsonl and of exported logs).

Only text searches with a query take part (the query side learns from text); image and composed
searches are counted and skipped.
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple


@dataclass
class Session:
    search_id: str
    time: str
    query: str
    shown: List[str]
    offset: int = 0
    clicks: Dict[str, int] = field(default_factory=dict)  # product id -> 1-based position
    session: Optional[str] = None  # the storefront's id of the shopper's visit (SearchInput.sessionId)

    def position(self, i: int) -> int:
        """1-based rank of the i-th result of the page."""
        return self.offset + i + 1


@dataclass
class LogSummary:
    source: str
    searches: int
    text_searches: int
    clicks: int

    def as_dict(self) -> dict:
        return {"source": self.source, "searches": self.searches, "textSearches": self.text_searches, "clicks": self.clicks}


def _sqlite_path(path: str) -> str:
    return os.path.join(path, "events.sqlite") if os.path.isdir(path) else path


def read_sqlite(path: str) -> Tuple[List[Session], LogSummary]:
    file = _sqlite_path(path)
    if not os.path.isfile(file):
        raise FileNotFoundError(f"{file} does not exist: pass the server's data folder (DATA_DIR, where events.sqlite is) or an exported events file")
    db = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        columns = {r[1] for r in db.execute("PRAGMA table_info(searches)")}
        session = "session_id" if "session_id" in columns else "NULL"
        rows = db.execute(f"SELECT search_id, created_at, mode, text, page_offset, result_ids, {session} FROM searches "
                          "ORDER BY created_at, search_id").fetchall()
        clicks: Dict[str, Dict[str, int]] = {}
        for sid, pid, pos in db.execute("SELECT search_id, product_id, position FROM search_events WHERE type = 'CLICK' ORDER BY id"):
            clicks.setdefault(sid, {}).setdefault(pid, int(pos))
    finally:
        db.close()
    sessions = []
    for sid, created, mode, text, offset, result_ids, visit in rows:
        if mode != "TEXT" or not text or not text.strip():
            continue
        sessions.append(Session(sid, created, text.strip(), json.loads(result_ids), int(offset), clicks.get(sid, {}), visit))
    n_clicks = sum(len(c) for c in clicks.values())
    return sessions, LogSummary(file, len(rows), len(sessions), n_clicks)


def read_jsonl(path: str) -> Tuple[List[Session], LogSummary]:
    sessions, total, n_clicks = [], 0, 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            total += 1
            try:
                r = json.loads(line)
                query = r.get("query")
                time = r.get("createdAt") or r.get("day")
                shown = r.get("shown") or []
                clicks = {c["productId"]: int(c["position"]) for c in r.get("clicks") or []}
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{n}: not a search row ({e}); expected searchId, createdAt or day, query, shown, clicks") from e
            n_clicks += len(clicks)
            if r.get("mode", "TEXT") != "TEXT" or not isinstance(query, str) or not query.strip() or query.startswith("["):
                continue
            if not isinstance(time, str):
                raise ValueError(f"{path}:{n}: a search row needs createdAt or day")
            sessions.append(Session(str(r.get("searchId", n)), time, query.strip(), list(shown), int(r.get("offset", 0)), clicks,
                                    r.get("sessionId")))
    sessions.sort(key=lambda s: (s.time, s.search_id))
    return sessions, LogSummary(path, total, len(sessions), n_clicks)


def read_sessions(path: str) -> Tuple[List[Session], LogSummary]:
    """Sessions of a data folder, an events.sqlite file or a JSON-lines export, oldest first."""
    if os.path.isdir(path) or path.endswith(".sqlite"):
        return read_sqlite(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} does not exist: pass the server's data folder or an exported events file (.jsonl)")
    return read_jsonl(path)


def split_by_time(sessions: List[Session], held_out: float) -> Tuple[List[Session], List[Session], Optional[str]]:
    """The oldest sessions for training, the latest `held_out` share for the candidate's evaluation;
    also the time the held-out part starts at (sessions are sorted by time)."""
    if not 0.0 < held_out < 1.0:
        raise ValueError(f"the held-out share must be between 0 and 1, got {held_out}")
    cut = int(round(len(sessions) * (1.0 - held_out)))
    if cut <= 0 or cut >= len(sessions):
        return sessions, [], None
    # sessions at the same instant stay on one side
    while cut < len(sessions) and sessions[cut].time == sessions[cut - 1].time:
        cut += 1
    return sessions[:cut], sessions[cut:], sessions[cut].time if cut < len(sessions) else None
