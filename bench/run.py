"""`make bench`: server scenarios at 1/10 and full scale, phone page weight, tap counts; table + JSON.

Usage: python -m bench.run [--quick] [--skip-phone] [--skip-taps]
BENCH_DATABASE_URL=postgresql+psycopg://… adds a PostgreSQL pass.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.data import FULL, ROOT, database_for, scaled
from bench.phone import BUDGET as PHONE_BUDGET
from bench import throughput as load_tool
from bench.scenarios import BARE, add_ratios, budget_checks, measure_interleaved, scenarios
from bench.server import Gunicorn, bare_server, signed_in_session

RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench-password"
REP, MANAGER = "rep1@bench.fieldcrm.vn", "manager1@bench.fieldcrm.vn"
MAIN_PAGES = [("Login", "/login"), ("Today", "/"), ("Pipeline", "/pipeline"), ("Customers", "/customers"),
              ("Customer card", None), ("Quotes", "/quotes"), ("More", "/more")]
TAP_BUDGETS = {"find a customer and open the card": 3, "log a call note from Today": 3, "move a deal to the next stage": 2,
               # the quote journeys of issue 20 (tests/e2e/test_quote_taps_journey.py)
               "quote: 3 catalogue lines, submitted": 10, "quote: 3 catalogue lines + 1 free line, submitted": 13,
               "quote: repeat the last one, submitted": 4, "approve a quote from Today": 2,
               "send an approved quote from the notification": 2,
               # where a quote starts, and the quantity steppers (same test file): typed is the steppers' yardstick
               "quote: 3 catalogue lines from the Quotes tab, submitted": 10,
               "quote: repeat the last one from the customer card, submitted": 4,
               "quote: 3 catalogue lines, one of 2 units (+ stepper), submitted": 10,
               "quote: 3 catalogue lines, one of 2 units (typed), submitted": 10}
SCALING_GOAL = 1.3
SCALING_NOISE_MS = 1.0  # below this, a difference of p95s is scheduling jitter on 2 cores, not cost


def ids_in(database_url, email=REP):
    """Customers and an open deal of this rep, the two first stages, and search words, read from the bench database."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        user_id = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar_one()
        customers = conn.execute(text("SELECT id FROM customers WHERE owner_id = :u ORDER BY id LIMIT 50"),
                                 {"u": user_id}).scalars().all()
        stage_ids = conn.execute(text("SELECT id FROM stages WHERE is_won = :f AND is_lost = :f ORDER BY position LIMIT 2"),
                                 {"f": False}).scalars().all()
        deal_id, version = conn.execute(text(
            "SELECT id, version FROM deals WHERE owner_id = :u AND stage_id IN (:a, :b) ORDER BY id LIMIT 1"),
            {"u": user_id, "a": stage_ids[0], "b": stage_ids[1]}).one()
        position = conn.execute(text("SELECT lat, lng FROM customers WHERE owner_id = :u AND lat IS NOT NULL "
                                     "ORDER BY id LIMIT 1"), {"u": user_id}).one()
        quote = conn.execute(text(
            "SELECT q.id, q.version, l.id, l.unit, l.unit_price_vnd, l.vat_rate FROM quotes q "
            "JOIN quote_lines l ON l.quote_id = q.id WHERE q.owner_id = :u AND q.status = 'draft' "
            "ORDER BY q.id, l.position LIMIT 1"), {"u": user_id}).first() or (None,) * 6  # none at 1/100 scale
    engine.dispose()
    # "duc hung" matches early (a common name); "zzz khong co" matches nothing, so it reads every candidate.
    return {"customer": customers[0], "customers": customers, "position": (round(position[0] + 0.003, 6), round(position[1] - 0.002, 6)), "search": "duc hung", "no_match": "zzz khong co",
            "deal": deal_id, "deal_version": version, "stages": stage_ids, "quote": quote[0], "quote_version": quote[1],
            "quote_line": {"id": quote[2], "unit": quote[3], "unit_price_vnd": quote[4], "vat_rate": quote[5]}}


def run_rule_passes(database_url):
    """Seconds of two passes of every automation rule over the whole database (`flask rules run`): the first
    on freshly built data acts on everything due, the second finds everything done and must create nothing."""
    # Reminder e-mails are queued, not sent: into a queue of the bench's own, never the instance's.
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "wsgi.py",
           "JOBS_SQLITE_PATH": str(ROOT / "bench" / ".cache" / "jobs-bench.sqlite3")}
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "flask", "rules", "run"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        seconds.append(round(time.perf_counter() - started, 2))
    return seconds


THROUGHPUT_PAGES = [("Pipeline (rep)", "/pipeline"), ("Today", "/"), ("Customer card", None)]
ROUNDS = 4


class RunResults(list):
    """The Results of a run, with the throughput figures beside them (.throughput)."""

    throughput = None


def run_scenarios(database_url, requests_count, warmups, sqlite_url=None, throughput_seconds=0):
    """Every scenario, and the bare page (read from the SQLite bench data of the same scale), in interleaved rounds;
    then, given throughput_seconds, a bounded throughput run of the bare page and of THROUGHPUT_PAGES, alternating."""
    sqlite_url = sqlite_url or database_url
    ids = ids_in(database_url)
    with Gunicorn(database_url) as server, bare_server(sqlite_url, REP) as bare:
        anonymous = __import__("requests").Session()
        anonymous.headers["Accept-Encoding"] = "gzip, deflate, br"
        sessions = {"rep": signed_in_session(server.url, REP, PASSWORD),
                    "manager": signed_in_session(server.url, MANAGER, PASSWORD), "anonymous": anonymous}
        urls = {"app": server.url, "bare": bare.url}
        results = measure_interleaved([(sessions[s.who], urls[s.server], s) for s in scenarios(ids)], rounds=ROUNDS,
                                      warmups=warmups, requests_count=requests_count)
        rates = run_throughput(server.url, bare.url, sessions["rep"], ids, throughput_seconds) if throughput_seconds else {}
    results = RunResults(add_ratios(results))
    results.throughput = rates
    return results


def run_throughput(app_url, bare_url, session, ids, seconds):
    """Requests/s of each page and, right before it, of the bare page: each reported as a share of the bare figure."""
    cookie = load_tool.cookie_header(session)
    rates = {}
    for name, path in THROUGHPUT_PAGES:
        bare = load_tool.run(bare_url, "/", seconds=seconds)
        page = load_tool.run(app_url, path or f"/customers/{ids['customer']}", cookie=cookie, seconds=seconds)
        rates[name] = {**page, "bare_requests_per_s": bare["requests_per_s"],
                       "share_of_bare": round(page["requests_per_s"] / bare["requests_per_s"], 3) if bare["requests_per_s"] else 0}
    return rates


def public_quote_path(database_url):
    """/q/<token> of one of rep1's sent quotes: the bench gives it a known link (only the hash is stored)."""
    import hashlib
    import secrets
    from datetime import date, timedelta

    token = secrets.token_urlsafe(32)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        quote_id = conn.execute(text(
            "SELECT q.id FROM quotes q JOIN users u ON u.id = q.owner_id WHERE u.email = :e AND q.status = 'sent' "
            "ORDER BY q.id LIMIT 1"), {"e": REP}).scalar_one()
        conn.execute(text("UPDATE quotes SET token_hash = :h, valid_until = :d WHERE id = :q"),
                     {"h": hashlib.sha256(token.encode()).hexdigest(), "d": date.today() + timedelta(days=15), "q": quote_id})
    engine.dispose()
    return f"/q/{token}"


def run_phone(database_url):
    from bench.phone import measure_pages

    ids = ids_in(database_url)
    pages = [(name, path or f"/customers/{ids['customer']}") for name, path in MAIN_PAGES if path != "/login"]
    public = public_quote_path(database_url)
    with Gunicorn(database_url) as server:
        anonymous = measure_pages(server.url, None, [("Login", "/login"), ("Public quote (customer)", public)])
        for row in anonymous:
            row["path"] = row["path"].replace(public, "/q/<token>")  # the link is a secret, even in bench data
        return anonymous + measure_pages(server.url, signed_in_session(server.url, REP, PASSWORD), pages)


def run_taps():
    """Run the journey tests and collect their tap counts."""
    out = ROOT / "bench" / ".cache" / "taps.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    env = {**os.environ, "FIELDCRM_TAPS_OUT": str(out)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "journey", "tests/e2e", "-p", "no:cacheprovider"],
                         cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"journey tests FAILED (exit {run.returncode}):\n{run.stdout[-3000:]}")
    counts = json.loads(out.read_text()) if out.exists() else {}
    return [{"journey": name, "budget_taps": budget, "failed": run.returncode != 0, **counts.get(name, {"missing": True})}
            for name, budget in TAP_BUDGETS.items()]


def print_table(title, results):
    print(f"\n{title}")
    print("(p50/p95: the app's Server-Timing; ×bare: the client's round trip ÷ the bare page's, both in the same run)")
    print(f"{'scenario':34} {'who':9} {'p50 ms':>8} {'p95 ms':>8} {'×floor p50':>10} {'×floor p95':>10} "
          f"{'rt p50':>7} {'rt p95':>7} {'×bare p50':>9} {'×bare p95':>9} {'bytes':>8} {'wire':>7} {'err':>4}")
    for r in results:
        if r.missing:
            print(f"{r.name:34} {r.who:9} {'— not built yet (issue ' + r.missing + ')':>60}")
            continue
        print(f"{r.name:34} {r.who:9} {r.server_ms_p50:8.2f} {r.server_ms_p95:8.2f} {r.ratio_p50 or 0:10.2f} "
              f"{r.ratio_p95 or 0:10.2f} {r.client_ms_p50:7.2f} {r.client_ms_p95:7.2f} {r.bare_ratio_p50 or 0:9.2f} {r.bare_ratio_p95 or 0:9.2f} "
              f"{r.bytes:8d} {r.wire_bytes:7d} {r.errors:4d}")
        if "vs_bare_p50" in r.extra:
            print(f"{'  ÷ bare WeasyPrint (budget ≤ 1.5)':43} {r.extra['vs_bare_p50']:8.2f} {r.extra['vs_bare_p95']:8.2f}")


def scaling(small, full):
    rows = []
    for a, b in zip(small, full):
        if a.count and b.count and not a.name.startswith("floor") and a.name != BARE:
            ratio = round(b.server_ms_p95 / a.server_ms_p95, 2) if a.server_ms_p95 else None
            growth = round(b.server_ms_p95 - a.server_ms_p95, 2)
            rows.append({"scenario": a.name, "who": a.who, "p95_tenth_ms": a.server_ms_p95, "p95_full_ms": b.server_ms_p95,
                         "ratio": ratio, "growth_ms": growth,
                         "ok": ratio is not None and (ratio <= SCALING_GOAL or growth <= SCALING_NOISE_MS)})
    return rows


def machine_notes():
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1/100 and 1/10 scale, 50 requests: a fast look")
    parser.add_argument("--skip-phone", action="store_true")
    parser.add_argument("--skip-taps", action="store_true")
    args = parser.parse_args(argv)
    requests_count, warmups = (50, 5) if args.quick else (200, 20)
    throughput_seconds = 3 if args.quick else 10
    missed = []
    base = scaled(FULL, 10) if args.quick else FULL
    report = {"machine": machine_notes(), "databases": {}}
    backends = [("sqlite", None)]
    if os.environ.get("BENCH_DATABASE_URL"):
        backends.append(("postgresql", os.environ["BENCH_DATABASE_URL"]))
    for label, base_url in backends:
        section = report["databases"][label] = {}
        per_scale = {}
        for scale_name, params in (("tenth", scaled(base, 10)), ("full", base)):
            url, built = database_for(params, base_url)
            if built:
                print(f"[{label}] built {scale_name}-scale bench data in {built:.0f} s: {params}")
                section[f"build_seconds_{scale_name}"] = round(built, 1)
            passes = section[f"rule_pass_seconds_{scale_name}"] = run_rule_passes(url)
            print(f"[{label}] {scale_name} scale: automation rule pass {passes[0]:.2f} s, again {passes[1]:.2f} s "
                  f"(budget < 10 s, process start included)")
            sqlite_url = url if base_url is None else database_for(params)[0]
            per_scale[scale_name] = run_scenarios(url, requests_count, warmups, sqlite_url=sqlite_url,
                                                  throughput_seconds=throughput_seconds if scale_name == "full" else 0)
            rates = per_scale[scale_name].throughput
            print_table(f"[{label}] {scale_name} scale {params}", per_scale[scale_name])
            checks = budget_checks(per_scale[scale_name], rates)
            print_throughput_and_budgets(rates, checks, enforced=scale_name == "full" and not args.quick)
            if scale_name == "full" and not args.quick:
                missed += [f"[{label}] {c['budget']}: {c['scenario']}" for c in checks if not c["ok"]]
            section[scale_name] = {"params": params, "scenarios": [r.as_dict() for r in per_scale[scale_name]],
                                   "throughput": rates, "budgets": checks}
        section["scaling"] = scaling(per_scale["tenth"], per_scale["full"])
        print(f"\n[{label}] scaling: p95 at full scale ÷ p95 at 1/10 scale "
              f"(goal ≤ {SCALING_GOAL}; growth under {SCALING_NOISE_MS:.0f} ms counts as noise)")
        for row in section["scaling"]:
            print(f"  {row['scenario']:34} {row['who']:8} {row['ratio']:6.2f}  {row['growth_ms']:+7.2f} ms  "
                  f"{'ok' if row['ok'] else 'OVER'}")
        if label == "sqlite" and not args.skip_phone:
            report["phone"] = run_phone(url)
            print(f"\nPhone first load, 390×844, empty cache (budget ≤ {PHONE_BUDGET['kb']} KB, ≤ {PHONE_BUDGET['requests']} "
                  f"requests, slow 4G + 4× CPU load ≤ {PHONE_BUDGET['slow_load_ms']} ms)")
            print(f"{'page':16} {'req':>4} {'KB':>6} {'DCL':>6} {'load':>6} {'4G DCL':>7} {'4G load':>8}  budget")
            for row in report["phone"]:
                print(f"{row['page']:16} {row['requests']:4d} {row['kb']:6.1f} {row['dcl_ms']:6d} {row['load_ms']:6d} "
                      f"{row['slow_dcl_ms']:7d} {row['slow_load_ms']:8d}  {'ok' if row['within_budget'] else 'OVER'}")
                if not row["within_budget"]:
                    missed.append(f"[phone] {row['page']}")
    if not args.skip_taps:
        report["taps"] = run_taps()
        print("\nTaps per journey (typing not counted as taps)")
        for row in report["taps"]:
            if row.get("missing"):
                state = "FAILED or not recorded" if row["failed"] else "not built yet"
                print(f"  {row['journey']:36} — {state} (budget ≤ {row['budget_taps']} taps)")
            else:
                print(f"  {row['journey']:36} {row['taps']} taps, {row['keys']} key presses (budget ≤ {row['budget_taps']} taps)  "
                      f"{'ok' if row['taps'] <= row['budget_taps'] else 'OVER'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\nwritten {RESULTS / 'latest.json'}")
    if missed:
        print("\nBUDGETS MISSED:\n  " + "\n  ".join(missed))
        sys.exit(1)


def print_throughput_and_budgets(rates, checks, enforced):
    if rates:
        print(f"\nThroughput ({next(iter(rates.values()))['tool']}), as a share of the bare page's, measured just before each")
    for name, row in rates.items():
        print(f"  {name:32} {row['requests_per_s']:8.1f} req/s  bare {row['bare_requests_per_s']:8.1f} req/s  "
              f"share {row['share_of_bare'] * 100:5.1f} %  errors {row['errors']}")
    print(f"\nBudgets of issue 18 (multiples of the bare page, p50 and p95){'' if enforced else ' — reported, enforced only at full scale'}")
    for c in checks:
        if c["p95"] is None:
            figure = f"{c['p50'] * 100:5.1f} % (≥ {c['limit'] * 100:.0f} %)"
        else:
            figure = f"{c['p50']:5.2f} / {c['p95']:5.2f} (≤ {c['limit']})"
        print(f"  {c['budget']:28} {c['scenario']:44} {figure:24} {'ok' if c['ok'] else 'OVER'}")


if __name__ == "__main__":
    main()
