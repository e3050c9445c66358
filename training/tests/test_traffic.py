"""Learning from recorded traffic: the search log reader, the click model, triplets and query chains,
the warm start from ONNX, and a fine-tuning round end to end on a small synthetic log."""
import json
import os
import sqlite3

import numpy as np
import pytest
import torch

from training.traffic import finetune
from training.traffic.click_model import attractiveness, estimate
from training.traffic.onnx_weights import check_golden, load_text_tower, onnx_state_dict
from training.traffic.search_log import Session, read_sessions, split_by_time
from training.traffic.triplets import build_triplets, query_chains

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "models")


def ts(i: int) -> str:
    return f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}.000Z"


# ---------------------------------------------------------------- search log
def server_log(path: str, with_session: bool = True) -> None:
    """A log with the server's tables (src/events/event-log.ts)."""
    db = sqlite3.connect(path)
    db.executescript(f"""
      CREATE TABLE searches (search_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, mode TEXT NOT NULL, text TEXT,
        modifier TEXT, image_kind TEXT, reference_id TEXT, filter TEXT, page_offset INTEGER NOT NULL,
        total_count INTEGER NOT NULL, result_ids TEXT NOT NULL{', session_id TEXT' if with_session else ''});
      CREATE TABLE search_events (id INTEGER PRIMARY KEY AUTOINCREMENT, search_id TEXT NOT NULL, type TEXT NOT NULL,
        product_id TEXT NOT NULL, position INTEGER NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL);
    """)
    rows = [("s2", ts(2), "TEXT", "red dress", 0, '["a","b","c"]', "v1"), ("s1", ts(1), "TEXT", "bloomcore", 0, '["x","y"]', "v1"),
            ("s3", ts(3), "IMAGE", None, 0, '["a"]', None), ("s4", ts(4), "TEXT", "red dress", 3, '["d","e"]', "v2")]
    for sid, t, mode, text, off, ids, visit in rows:
        cols = "search_id, created_at, mode, text, page_offset, total_count, result_ids" + (", session_id" if with_session else "")
        vals = (sid, t, mode, text, off, 10, ids) + ((visit,) if with_session else ())
        db.execute(f"INSERT INTO searches ({cols}) VALUES ({', '.join('?' * len(vals))})", vals)
    db.execute("INSERT INTO search_events (search_id, type, product_id, position, occurred_at, recorded_at) VALUES "
               "('s2','CLICK','b',2,'t','t'), ('s2','IMPRESSION','a',1,'t','t'), ('s4','CLICK','e',5,'t','t')")
    db.commit()
    db.close()


@pytest.mark.parametrize("with_session", [True, False])
def test_reads_the_servers_log_text_searches_in_time_order(tmp_path, with_session):
    server_log(str(tmp_path / "events.sqlite"), with_session)
    sessions, summary = read_sessions(str(tmp_path))
    assert [s.search_id for s in sessions] == ["s1", "s2", "s4"]  # the image search is left out
    assert summary.searches == 4 and summary.text_searches == 3 and summary.clicks == 2
    assert sessions[1].clicks == {"b": 2} and sessions[2].clicks == {"e": 5}
    assert sessions[2].position(1) == 5  # page offset 3: the second result is at rank 5
    assert sessions[0].session == ("v1" if with_session else None)


def test_reads_an_exported_jsonl_log_and_names_bad_rows(tmp_path):
    f = tmp_path / "clicks.jsonl"
    f.write_text(json.dumps({"searchId": "a", "day": "2026-01-02", "query": "navy shirt", "shown": ["p1", "p2"],
                             "clicks": [{"productId": "p2", "position": 2}], "sessionId": "v"}) + "\n" +
                 json.dumps({"searchId": "b", "day": "2026-01-01", "query": "[image]", "shown": ["p1"], "clicks": []}) + "\n")
    sessions, summary = read_sessions(str(f))
    assert len(sessions) == 1 and sessions[0].clicks == {"p2": 2} and sessions[0].session == "v"
    assert summary.searches == 2
    f.write_text('{"query": "x", "clicks": [{"position": 1}]}\n')
    with pytest.raises(ValueError, match="clicks.jsonl:1"):
        read_sessions(str(f))
    with pytest.raises(FileNotFoundError, match="data folder"):
        read_sessions(str(tmp_path / "missing"))


def test_the_held_out_part_is_the_latest_and_keeps_one_instant_on_one_side():
    sessions = [Session(str(i), ts(i // 2), "q", []) for i in range(10)]
    train, held, start = split_by_time(sessions, 0.25)
    assert [s.search_id for s in held] == ["8", "9"] and start == ts(4)
    train, held, start = split_by_time(sessions, 0.3)  # the cut at 7 would split instant 3
    assert [s.search_id for s in held] == ["8", "9"]
    assert all(a.time <= b.time for a, b in zip(train, train[1:]))


# ---------------------------------------------------------------- click model
def simulated_log(theta, n_sessions=4000, docs=30, seed=0):
    """Shuffled rankings of 30 products per query, clicks drawn from the position-based model."""
    rng = np.random.default_rng(seed)
    gamma = {(q, d): rng.uniform(0.05, 0.9) for q in range(5) for d in range(docs)}
    sessions = []
    for i in range(n_sessions):
        q = i % 5
        shown = [f"d{d}" for d in rng.permutation(docs)[: len(theta)]]
        clicks = {pid: k + 1 for k, pid in enumerate(shown) if rng.random() < theta[k] * gamma[(q, int(pid[1:]))]}
        sessions.append(Session(str(i), ts(i % 3000), f"query {q}", shown, 0, clicks))
    return sessions, gamma


def test_em_recovers_the_examination_curve_of_a_position_based_model():
    theta = [1.0 / (k + 1) ** 0.7 for k in range(10)]
    sessions, _ = simulated_log(theta)
    pbm = estimate(sessions)
    ratios = [pbm.propensity(k + 1) for k in range(10)]
    expected = [t / theta[0] for t in theta]
    assert np.allclose(ratios, expected, atol=0.08), (ratios, expected)
    assert pbm.weight(10) == pytest.approx(1.0 / pbm.propensity(10))
    assert pbm.weight(10, clip=2.0) == 2.0
    assert pbm.propensity(500) == pbm.propensity(10)  # beyond the log's ranks: the last known one


def test_debiased_attractiveness_separates_noise_at_the_top_from_relevance_below():
    theta = [0.9 / (k + 1) ** 0.7 for k in range(20)]
    pbm = estimate(simulated_log(theta)[0])
    rng = np.random.default_rng(1)
    sessions = []
    for i in range(300):  # one fixed page: "noise" at rank 1 is clicked 5% of the time, "good" at rank 12 when examined
        shown = ["noise"] + [f"f{k}" for k in range(10)] + ["good"]
        clicks = {}
        if rng.random() < theta[0] * 0.05:
            clicks["noise"] = 1
        if rng.random() < theta[11] * 0.9:
            clicks["good"] = 12
        sessions.append(Session(str(i), ts(i), "bloomcore", shown, 0, clicks))
    g = attractiveness(sessions, pbm)
    assert g[("bloomcore", "noise")].clicks > 0
    assert g[("bloomcore", "noise")].value < 0.15
    assert g[("bloomcore", "good")].value > 0.5


# ---------------------------------------------------------------- triplets and chains
def test_triplets_take_debiased_positives_and_skipped_products_above_them():
    pbm = estimate([Session("0", ts(0), "q", ["a", "b"], 0, {"a": 1})])
    sessions = [Session(str(i), ts(i), "red dress", ["a", "b", "c", "gone"], 0, {"c": 3, "gone": 4}) for i in range(5)]
    rows = {"a": 0, "b": 1, "c": 2}
    t = build_triplets(sessions, rows, pbm, threshold=0.25)
    assert [(x.query, x.positive) for x in t.triplets] == [("red dress", 2)]
    assert t.triplets[0].negatives == [0, 1]
    assert t.missing_products == 1 and t.queries == 1 and t.sessions == 5


def test_a_query_chain_teaches_the_first_wording_what_the_reworded_search_found():
    pbm = estimate([Session("0", ts(0), "q", ["a"], 0, {"a": 1})])
    first = Session("1", ts(1), "bloomcore", ["x", "y"], 0, {}, "visit")
    page2 = Session("2", ts(2), "bloomcore", ["z"], 20, {}, "visit")
    reworded = Session("3", ts(3), "floral dress", ["f1", "f2"], 0, {"f2": 2}, "visit")
    late = Session("4", ts(3) .replace("00:00", "00:59"), "floral dress", ["f1"], 0, {"f1": 1}, "other")
    rows = {p: i for i, p in enumerate(["x", "y", "z", "f1", "f2"])}
    assert [(a.search_id, [s.search_id for s in b]) for a, b in query_chains([first, page2, reworded, late])] == [("1", ["3"])]
    t = build_triplets([first, page2, reworded, late], rows, pbm, chain_weight=0.5)
    chained = [x for x in t.triplets if x.query == "bloomcore"]
    assert [x.positive for x in chained] == [rows["f2"]]
    assert chained[0].negatives == [rows["x"], rows["y"]]
    direct = next(x for x in t.triplets if x.query == "floral dress" and x.positive == rows["f2"])
    assert chained[0].weight == pytest.approx(0.5 * direct.weight)
    assert t.chained == 1
    # a visit whose first wording got a click, or whose rewording came too late, is no chain
    assert query_chains([first, Session("5", "2026-01-01T01:00:00.000Z", "floral dress", ["f1"], 0, {"f1": 1}, "visit")]) == []


# ---------------------------------------------------------------- warm start
def test_the_served_text_tower_is_read_back_from_onnx_exactly():
    model, tok, entry = load_text_tower(MODELS)
    assert entry["name"] == json.load(open(os.path.join(MODELS, "manifest.json")))["defaults"]["text"]
    assert check_golden(MODELS, entry["name"], model) > 0
    state = onnx_state_dict(os.path.join(MODELS, entry["file"]))
    assert not any(k.startswith("onnx::") for k in state)
    assert state["layers.0.att.qkv.weight"].shape == (3 * model.config["d"], model.config["d"])


# ---------------------------------------------------------------- a fine-tuning round
def small_world(tmp_path, sessions_per_query=40, with_chain=True):
    """A gallery of 60 products in 3 clusters, a catalogue with titles, and a log where the made-up
    word "zorbly" is answered with cluster 2 only through query chains."""
    rng = np.random.default_rng(3)
    centres = torch.nn.functional.normalize(torch.randn(3, 128), dim=1).numpy()
    vecs = np.stack([centres[i // 20] + 0.15 * rng.standard_normal(128) for i in range(60)]).astype("<f4")
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = [f"p{i}" for i in range(60)]
    gdir = tmp_path / "gallery"
    gdir.mkdir()
    vecs.tofile(gdir / "image.f32")
    (gdir / "gallery.json").write_text(json.dumps({"dim": 128, "ids": ids, "products": 60, "imageModel": "test@1"}))
    cat = tmp_path / "catalog"
    cat.mkdir()
    (cat / "products.jsonl").write_text("\n".join(json.dumps({"id": p, "title": f"product {p}"}) for p in ids) + "\n")
    rows = []
    n = 0
    for i in range(sessions_per_query * 3):
        visit = f"v{i}"
        shown = [ids[j] for j in rng.permutation(40)[:10]]  # clusters 0 and 1 only: "zorbly" finds nothing
        rows.append({"searchId": f"s{n}", "createdAt": ts(n // 4), "query": "zorbly", "shown": shown, "clicks": [], "sessionId": visit})
        n += 1
        if with_chain:
            shown = [ids[40 + j] for j in rng.permutation(20)[:10]]
            rows.append({"searchId": f"s{n}", "createdAt": ts(n // 4), "query": f"cluster two {i % 3}", "shown": shown,
                         "clicks": [{"productId": shown[k], "position": k + 1} for k in range(3)], "sessionId": visit})
            n += 1
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return str(log), str(gdir), str(cat), vecs


def test_too_little_traffic_is_refused_with_the_counts(tmp_path):
    log, gdir, cat, _ = small_world(tmp_path, sessions_per_query=4)
    with pytest.raises(finetune.TooLittleTraffic, match=r"too little traffic to fine-tune on: \d+ sessions with a click \(need 200\)"):
        finetune.main(["--events", log, "--from", MODELS, "--gallery", gdir, "--catalog", cat, "--out", str(tmp_path / "cand")])
    with pytest.raises(SystemExit, match="--full-retrain"):
        finetune.main(["--events", log, "--full-retrain"])


def test_a_fine_tuning_round_writes_a_compatible_candidate_that_learned_the_new_word(tmp_path):
    log, gdir, cat, vecs = small_world(tmp_path)
    out = tmp_path / "cand"
    report = finetune.main(["--events", log, "--from", MODELS, "--gallery", gdir, "--catalog", cat, "--out", str(out),
                            "--min-sessions", "20", "--min-queries", "2", "--min-triplets", "20", "--epochs", "6",
                            "--anchors", "20", "--lr", "1e-3", "--keep", "last"])
    assert report["counts"]["chainedTriplets"] > 0 and report["counts"]["heldOutSessions"] > 0
    manifest = json.load(open(out / "manifest.json"))
    current = json.load(open(os.path.join(MODELS, "manifest.json")))
    assert manifest["defaults"]["text"] == "fashion-text-clicks"
    assert manifest["gallery"] == {"image": current["defaults"]["image"], "text": current["defaults"]["text"]}
    entry = next(m for m in manifest["models"] if m["name"] == "fashion-text-clicks")
    assert entry["fineTunedFrom"]["name"] == current["defaults"]["text"] and entry["compatibleWith"] == "fashion-space@1.0.0"
    assert os.path.isfile(out / "fashion-text-clicks" / "model.onnx")
    held = json.load(open(out / "held-out-judgements.json"))
    assert held["queries"] and all(set(q["relevant"]) <= set(q["candidates"]) for q in held["queries"])
    # the new word now points at cluster two, which it was never shown
    model, tok, _ = load_text_tower(str(out))
    ids = tok.encode("zorbly")
    with torch.no_grad():
        q = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))[0].numpy()
    top = np.argsort(-(vecs @ q))[:10]
    assert (top >= 40).mean() >= 0.8
    assert check_golden(str(out), "fashion-text-clicks", model) > 0
