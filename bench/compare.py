"""Before and after in one run: FieldCRM at a git ref and the working tree, side by side, with the bare page.

    python -m bench.compare <ref> [--scale 10] [--requests 200] [--skip-phone]

The ref is exported (git archive) to a temporary folder and served by its own gunicorn, with the same settings
and the same bench database as the working tree's; the scenarios that only read (and the call note, which adds)
are measured in interleaved rounds against both, so a noisy minute on a shared machine touches both alike; then
the throughput runs and, unless skipped, the phone's first loads, alternating. Writes bench/results/compare.json.
"""
import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import requests

from bench import throughput as load_tool
from bench.data import FULL, ROOT, database_for, scaled
from bench.run import MANAGER, PASSWORD, REP, RESULTS, THROUGHPUT_PAGES, ids_in, machine_notes
from bench.scenarios import BARE, add_ratios, measure_interleaved, scenarios
from bench.server import Gunicorn, bare_server, signed_in_session

# Moves and quote edits carry a version: two servers moving the same deal would refuse each other's.
SKIPPED = ("Move a card (htmx)", "Live quote total (htmx)", "Quote PDF", "bare WeasyPrint, same HTML")


def export(ref):
    """A folder holding the tree of ref, with this checkout's compiled translations, venv and bench cache."""
    folder = Path(tempfile.mkdtemp(prefix="fieldcrm-compare-"))
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    for mo in (ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.mo"):
        shutil.copy(mo, folder / mo.relative_to(ROOT))
    (folder / "bench" / ".cache").symlink_to(ROOT / "bench" / ".cache")
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ref")
    parser.add_argument("--scale", type=int, default=1, help="1/N of the full bench data (default: full)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--throughput-seconds", type=int, default=10)
    parser.add_argument("--skip-phone", action="store_true")
    args = parser.parse_args(argv)
    params = scaled(FULL, args.scale) if args.scale > 1 else FULL
    url, _built = database_for(params)
    ids = ids_in(url)
    before_root = export(args.ref)
    chosen = [s for s in scenarios(ids) if s.name not in SKIPPED and not s.missing]
    report = {"machine": machine_notes(), "ref": args.ref, "params": params}
    try:
        with Gunicorn(url, root=before_root) as before, Gunicorn(url) as after, bare_server(url, REP) as bare:
            runs, sessions = [], {}
            for label, server in (("before", before), ("after", after)):
                sessions[label] = {"rep": signed_in_session(server.url, REP, PASSWORD),
                                   "manager": signed_in_session(server.url, MANAGER, PASSWORD)}
            anonymous = requests.Session()
            anonymous.headers["Accept-Encoding"] = "gzip, deflate, br"
            for s in chosen:
                if s.server == "bare":
                    runs.append((anonymous, bare.url, s))
                else:
                    runs += [(sessions["before"][s.who], before.url, s), (sessions["after"][s.who], after.url, s)]
            results = measure_interleaved(runs, rounds=4, requests_count=args.requests,
                                          warmups=max(5, args.requests // 10))
            bare_result, rest = results[0], results[1:]
            report["before"] = [r.as_dict() for r in add_ratios([bare_result] + rest[0::2])]
            report["after"] = [r.as_dict() for r in add_ratios([bare_result] + rest[1::2])]
            report["throughput"] = {}
            for name, path in THROUGHPUT_PAGES:
                path = path or f"/customers/{ids['customer']}"
                row = {"bare": load_tool.run(bare.url, "/", seconds=args.throughput_seconds)["requests_per_s"]}
                for label, server in (("before", before), ("after", after)):
                    cookie = load_tool.cookie_header(sessions[label]["rep"])
                    row[label] = load_tool.run(server.url, path, cookie=cookie, seconds=args.throughput_seconds)["requests_per_s"]
                report["throughput"][name] = row
            if not args.skip_phone:
                from bench.phone import measure_pages

                pages = [("Today", "/"), ("Pipeline", "/pipeline"), ("Customers", "/customers"),
                         ("Customer card", f"/customers/{ids['customer']}"), ("Quotes", "/quotes"), ("More", "/more")]
                report["phone"] = {label: measure_pages(server.url, sessions[label]["rep"], pages)
                                   for label, server in (("before", before), ("after", after))}
    finally:
        shutil.rmtree(before_root, ignore_errors=True)
    print_report(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "compare.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def print_report(report):
    print(f"\n{report['ref']} (before) and the working tree (after), one interleaved run, {report['params']}")
    print("| scenario | who | before p50 / p95 ms | after p50 / p95 ms | before × bare p50 / p95 | after × bare p50 / p95 |")
    print("|---|---|---:|---:|---:|---:|")
    for b, a in zip(report["before"], report["after"]):
        print(f"| {a['name']} | {a['who']} | {b['client_ms_p50']} / {b['client_ms_p95']} | {a['client_ms_p50']} / "
              f"{a['client_ms_p95']} | {b['bare_ratio_p50']} / {b['bare_ratio_p95']} | {a['bare_ratio_p50']} / "
              f"{a['bare_ratio_p95']} |")
    print("\n| throughput | bare req/s | before req/s (share) | after req/s (share) |\n|---|---:|---:|---:|")
    for name, row in report["throughput"].items():
        print(f"| {name} | {row['bare']} | {row['before']} ({row['before'] / row['bare'] * 100:.1f} %) | "
              f"{row['after']} ({row['after'] / row['bare'] * 100:.1f} %) |")
    if report.get("phone"):
        print("\n| phone page | before requests / KB / slow-4G load ms | after requests / KB / slow-4G load ms |\n|---|---:|---:|")
        for b, a in zip(report["phone"]["before"], report["phone"]["after"]):
            print(f"| {a['page']} | {b['requests']} / {b['kb']} / {b['slow_load_ms']} | "
                  f"{a['requests']} / {a['kb']} / {a['slow_load_ms']} |")


if __name__ == "__main__":
    main()
