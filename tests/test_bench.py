"""A smoke test of bench.py's helpers (the benchmark itself is not part of the suite:
`python bench.py` runs it)."""

from __future__ import annotations

import threading

import waitress

import bench
from bench_floor import create_floor
from store import SCORE_COLUMNS, Store


def test_percentile_is_nearest_rank():
    samples = [float(x) for x in range(1, 101)]
    assert bench.percentile(samples, 50) == 50.0
    assert bench.percentile(samples, 95) == 95.0
    assert bench.percentile([3.0], 95) == 3.0


def test_the_client_talks_keep_alive_to_the_floor_and_gets_its_canned_bytes():
    floor = create_floor({"post": [201, '{"id":"x"}'], "delete": [204, ""]})
    server = waitress.create_server(floor, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        conn = bench.Conn(f"http://127.0.0.1:{server.effective_port}", bench.AUTH)
        assert conn.request("POST", bench.SCORES, {"name": "a"}) == (201, b'{"id":"x"}')
        assert conn.request("DELETE", bench.SCORES + "/some-id") == (204, b"")
        status, body = conn.request("GET", bench.SCORES + "?limit=50")
        assert (status, body) == (200, b'{"status":"ok"}')
        assert conn.request("GET", "/no-such-route")[0] == 404
        conn.close()
    finally:
        server.close()


def test_synthetic_scores_load_through_the_store_bulk_insert():
    store = Store(None)
    project_id = store.project_id_for_name("bench-scale")
    rows = list(bench.synthetic_scores(project_id, 0, 500, 1_700_000_000_000_000, SCORE_COLUMNS))
    assert store.insert_scores(rows) == 500
    items, total = store.list_scores(project_id, {}, 50, 0)
    assert total == 500 and len(items) == 50
    assert {r["data_type"] for r in rows} == {"NUMERIC", "BOOLEAN", "CATEGORICAL"}
    assert len({(r["trace_id"], r["name"]) for r in rows}) == 500  # five metrics a trace
    store.close()


def test_the_table_renders_every_row_aligned():
    table = bench.Table()
    table.section("a section")
    table.add("PATCH score", "1.00 / 2.00 ms", "0.50 / 0.60 ms", "2.00x", "<= 1.5x floor", False)
    lines = table.render().splitlines()
    assert len({len(line) for line in lines}) == 1
    assert "NO" in lines[-1] and "**a section**" in lines[2]
