"""Load run (`make bench-load`): simulated reps on a mixed journey against 127.0.0.1, bounded in time."""
import random
import threading
import time

from bench.scenarios import VERSION, csrf_token, p95
from bench.server import signed_in_session

THINK_SECONDS = (0.5, 1.5)  # a rep reads the page before the next tap
SPAWN_PER_SECOND = 10  # reps start like Locust's spawn rate, not all signing in within the same second


def _journey(ids):
    """One pass of a rep's day, as (label, path, form); steps arrive as their features land."""
    customer = random.choice(ids["customers"])
    return [
        ("Today", "/", None),
        ("Pipeline", "/pipeline", None),
        ("Customer search", f"/customers?q={ids['search']}", None),
        ("Customer card", f"/customers/{customer}", None),
        ("Move a deal", f"/deals/{ids['deal']}/move", "move"),
        # save note (#5) and open quote PDF (#6) join the journey with their issues
    ]


def run_load(base_url, users, ids_for, duration=60, password="bench-password"):
    """Run len(users) simulated reps for duration seconds; returns the summary dict."""
    samples, errors, lock = [], [], threading.Lock()
    # Like Locust with --reset-stats: reps sign in during the ramp-up (scrypt is meant to be slow),
    # then every rep starts the measured journey at once.
    window = {}

    def open_window():
        window["started"] = time.monotonic()
        window["deadline"] = window["started"] + duration

    all_signed_in = threading.Barrier(len(users) + 1, action=open_window)

    def rep(email, index):
        rng = random.Random(email)
        time.sleep(index / SPAWN_PER_SECOND)
        session = None
        try:
            session = signed_in_session(base_url, email, password)
        except Exception as error:  # a failed sign-in is an error of the run, reported below
            with lock:
                errors.append(f"{email}: {error}")
        all_signed_in.wait()
        if session is None:
            return
        ids = ids_for(email)
        deadline = window["deadline"]
        move = {"version": ids["deal_version"], "count": 0}
        headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(session, base_url)}
        time.sleep(rng.uniform(*THINK_SECONDS))  # reps are not in lock-step: no thundering herd at the start
        while time.monotonic() < deadline:
            for label, path, form in _journey(ids):
                if time.monotonic() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    if form == "move":  # the rep's own deal, back and forth between two stages
                        move["count"] += 1
                        data = {"stage_id": ids["stages"][move["count"] % 2], "version": move["version"]}
                        response = session.post(base_url + path, data=data, headers=headers, timeout=30,
                                                allow_redirects=False)
                        if match := VERSION.search(response.text):
                            move["version"] = int(match.group(1))
                    else:
                        response = session.get(base_url + path, timeout=30, allow_redirects=False)
                    ok = response.status_code == 200
                except Exception as error:  # connection errors count as errors, never crash the run
                    ok, response = False, error
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    samples.append((label, elapsed))
                    if not ok:
                        errors.append(f"{label}: {getattr(response, 'status_code', response)}")
                time.sleep(rng.uniform(*THINK_SECONDS))

    threads = [threading.Thread(target=rep, args=(email, i), daemon=True) for i, email in enumerate(users)]
    for thread in threads:
        thread.start()
    all_signed_in.wait()
    started = window["started"]
    for thread in threads:
        thread.join(timeout=duration + 60)
    wall = time.monotonic() - started
    times = sorted(ms for _label, ms in samples)
    summary = {
        "users": len(users), "duration_s": round(wall, 1), "requests": len(times),
        "requests_per_s": round(len(times) / wall, 1) if wall else 0, "errors": len(errors),
        "error_examples": errors[:5],
    }
    if times:
        summary.update(p50_ms=round(times[len(times) // 2], 1), p95_ms=round(p95(times), 1),
                       p99_ms=round(times[min(len(times) - 1, int(0.99 * len(times)))], 1))
    per_step = {}
    for label, ms in samples:
        per_step.setdefault(label, []).append(ms)
    summary["per_step_p95_ms"] = {label: round(p95(v), 1) for label, v in per_step.items()}
    return summary


def main():
    """`make bench-load`: 50 reps for 60 s against gunicorn on the full-scale SQLite bench data."""
    import json
    import os

    from bench.data import FULL, ROOT, database_for
    from bench.run import ids_in
    from bench.server import Gunicorn

    users = int(os.environ.get("BENCH_LOAD_USERS", 50))
    duration = int(os.environ.get("BENCH_LOAD_SECONDS", 60))
    url, built = database_for(FULL, os.environ.get("BENCH_DATABASE_URL"))
    if built:
        print(f"built full-scale bench data in {built:.0f} s")
    emails = [f"rep{i + 1}@bench.fieldcrm.vn" for i in range(min(users, FULL["reps"]))]
    ids = {email: ids_in(url, email) for email in emails}
    with Gunicorn(url) as server:
        print(f"{len(emails)} simulated reps for {duration} s against {server.url} (gunicorn, 2 workers × 4 threads)")
        summary = run_load(server.url, emails, ids.__getitem__, duration=duration)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    budget_ok = summary["errors"] == 0 and summary.get("p95_ms", 1e9) <= 300
    print(f"budget (0 errors, page p95 ≤ 300 ms): {'ok' if budget_ok else 'OVER'}")
    out = ROOT / "bench" / "results" / "load-latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
