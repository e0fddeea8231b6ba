"""A fast smoke test of the benchmark harness: tiny bench data, one server scenario against the floor."""
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.models import Activity, Customer, Deal, DealStageChange, User
from app.seed.bench import BENCH_PASSWORD, load_bench
from bench.scenarios import Scenario, add_ratios, measure
from bench.server import signed_in_session

TINY = dict(reps=3, customers=300, deals=120, activities=1500, quotes=60, seed=7)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_bench_seed_is_realistic_deterministic_and_refuses_a_used_database():
    load_bench(**TINY, echo=lambda *_: None)
    assert (count(Customer), count(Deal), count(Activity)) == (300, 120, 1500)
    from app.models import Quote
    from app.services.quotes.pricing import price

    assert count(Quote) == 60
    for quote in db.session.scalars(select(Quote).limit(10)):  # stored totals are the pricing of the stored lines
        assert quote.total_vnd == price(quote.lines, quote.discount_bp).total_vnd > 0
        assert quote.number.startswith("BG-") and quote.deal.owner_id == quote.owner_id
    assert count(User) == 3 + 1 + 1  # reps, one manager per 10 reps, the admin
    assert count(DealStageChange) >= 120
    first = db.session.get(Customer, 1)
    assert first.search_text and first.phone.startswith("+84") and first.owner.role == "rep"
    assert all(d.value_vnd % 100_000 == 0 and d.value_vnd >= 2_000_000 for d in db.session.scalars(select(Deal)))
    with pytest.raises(RuntimeError):
        load_bench(**TINY, echo=lambda *_: None)


def test_bench_seed_is_the_same_for_the_same_seed():
    load_bench(**TINY, echo=lambda *_: None)
    names = db.session.scalars(select(Customer.name).order_by(Customer.id).limit(20)).all()
    db.session.remove()
    from tests.conftest import _clean_tables

    _clean_tables()
    load_bench(**TINY, echo=lambda *_: None)
    assert db.session.scalars(select(Customer.name).order_by(Customer.id).limit(20)).all() == names


def test_a_scenario_is_measured_against_the_floor(app):
    load_bench(**TINY, echo=lambda *_: None)
    bench_app = create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "BENCH_MODE": True, "SESSION_COOKIE_SECURE": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })
    server = make_server("127.0.0.1", 0, bench_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        session = signed_in_session(base, "rep1@bench.fieldcrm.vn", BENCH_PASSWORD)
        results = add_ratios([
            measure(session, base, Scenario("floor (bare page)", "rep", "/bench/floor"), warmups=1, requests_count=5),
            measure(session, base, Scenario("Today", "rep", "/"), warmups=1, requests_count=5),
            measure(session, base, Scenario("Deal page", "rep", missing="#4")),
        ])
    finally:
        server.shutdown()
        with bench_app.app_context():
            db.engine.dispose()
    floor, today, missing = results
    assert floor.count == today.count == 5 and floor.errors == today.errors == 0
    assert floor.ratio_p50 == 1.0 and today.ratio_p50 > 0 and today.server_ms_p95 >= today.server_ms_p50 > 0
    assert today.bytes > 1000 and missing.count == 0 and missing.missing == "#4"


def test_the_floor_exists_only_in_bench_mode(app):
    assert "bench.floor" not in app.view_functions


def test_the_harness_builds_cached_data_and_measures_every_scenario_under_gunicorn(tmp_path, monkeypatch):
    """End to end at tiny scale: `flask seed bench` into a cached SQLite file, gunicorn, every scenario."""
    import json

    import bench.data
    from bench.run import run_rule_passes, run_scenarios

    monkeypatch.setattr(bench.data, "CACHE", tmp_path / "cache")
    url, built = bench.data.database_for(TINY)
    assert built is not None and bench.data.database_for(TINY) == (url, None)  # second time: from the cache
    assert all(seconds < 10 for seconds in run_rule_passes(url))  # `flask rules run` over the bench data, twice
    results = run_scenarios(url, requests_count=3, warmups=1)
    measured = [r for r in results if not r.missing]
    assert {r.name for r in measured} >= {"floor (bare page)", "Today", "Pipeline (rep)", "Deal page", "Move a card (htmx)"}
    assert all(r.errors == 0 and r.count == 3 and r.ratio_p50 for r in measured), [(r.name, r.errors) for r in measured]
    move = next(r for r in measured if r.name.startswith("Move"))
    assert move.bytes <= 4096  # the budget for a move's response
    json.dumps([r.as_dict() for r in results])


def test_the_bare_yardstick_and_the_throughput_run_under_gunicorn(tmp_path, monkeypatch):
    """The bare Flask + Jinja page is measured in the same run, every page gets its multiple, and throughput a share."""
    import bench.data
    from bench.run import run_scenarios
    from bench.scenarios import BARE, budget_checks

    monkeypatch.setattr(bench.data, "CACHE", tmp_path / "cache")
    url, _built = bench.data.database_for(TINY)
    results = run_scenarios(url, requests_count=2, warmups=1, throughput_seconds=1)
    bare = next(r for r in results if r.name == BARE)
    assert bare.count == 2 and bare.errors == 0 and bare.bare_ratio_p50 == 1.0 and bare.bytes > 500
    assert all(r.bare_ratio_p50 for r in results if not r.missing)
    pipeline = results.throughput["Pipeline (rep)"]
    assert pipeline["errors"] == 0 and pipeline["requests"] > 0 and 0 < pipeline["share_of_bare"]
    checks = budget_checks(results, results.throughput)
    assert {c["budget"] for c in checks} >= {"floor ≤ 2× bare", "page ≤ 5× bare", "htmx action ≤ 3× bare",
                                            "throughput ≥ 25 % of bare"}
