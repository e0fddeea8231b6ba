"""Print bench/results/latest.json (and load-latest.json) as the Markdown tables of the README."""
import json

from bench.data import ROOT
from bench.phone import BUDGET as PHONE_BUDGET

RESULTS = ROOT / "bench" / "results"


def _server_table(section):
    lines = ["| scenario | who | p50 ms | p95 ms | × floor p50 | × floor p95 | round trip p50 / p95 ms | × bare p50 | "
             "× bare p95 | bytes | gzip/br bytes |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in section["full"]["scenarios"]:
        if r["missing"]:
            lines.append(f"| {r['name']} | {r['who']} | — | — | — | — | — | — | — | — | not built yet (issue {r['missing']}) |")
        else:
            lines.append(f"| {r['name']} | {r['who']} | {r['server_ms_p50']} | {r['server_ms_p95']} | {r['ratio_p50']} | "
                         f"{r['ratio_p95']} | {r.get('client_ms_p50')} / {r.get('client_ms_p95')} | "
                         f"{r.get('bare_ratio_p50')} | {r.get('bare_ratio_p95')} | {r['bytes']} | {r['wire_bytes']} |")
    return lines


def _throughput_and_budgets(section):
    lines = []
    rates = section["full"].get("throughput") or {}
    if rates:
        tool = next(iter(rates.values()))["tool"]
        lines += [f"Throughput ({tool}; gunicorn 2 workers × 4 threads), each just after the bare page's:", "",
                  "| page | req/s | bare page req/s | share |", "|---|---:|---:|---:|"]
        lines += [f"| {name} | {r['requests_per_s']} | {r['bare_requests_per_s']} | {r['share_of_bare'] * 100:.1f} % |"
                  for name, r in rates.items()] + [""]
    checks = section["full"].get("budgets") or []
    if checks:
        lines += ["Budgets of issue 18 (× the bare page's round trip, p50 / p95):", "", "| budget | scenario | figure | |",
                  "|---|---|---:|---|"]
        for c in checks:
            figure = f"{c['p50'] * 100:.1f} %" if c["p95"] is None else f"{c['p50']} / {c['p95']}"
            lines.append(f"| {c['budget']} | {c['scenario']} | {figure} | {'ok' if c['ok'] else '**over**'} |")
        lines.append("")
    return lines


def _scaling_table(sections):
    names = list(sections)
    lines = ["| scenario | who | " + " | ".join(f"{n} p95 ratio (growth)" for n in names) + " |",
             "|---|---|" + "---:|" * len(names)]
    rows = {}
    for name in names:
        for row in sections[name]["scaling"]:
            verdict = "ok" if row["ok"] else "**over**"
            rows.setdefault((row["scenario"], row["who"]), {})[name] = f"{row['ratio']} ({row['growth_ms']:+.1f} ms) {verdict}"
    for (scenario, who), cells in rows.items():
        lines.append(f"| {scenario} | {who} | " + " | ".join(cells.get(n, "—") for n in names) + " |")
    return lines


def main():
    report = json.loads((RESULTS / "latest.json").read_text())
    machine = report["machine"]
    out = [f"Measured {machine['date'][:10]} on {machine['cpus']} cores, Python {machine['python']}, {machine['platform']}.", ""]
    for name, section in report["databases"].items():
        out += [f"**{name}, full scale** ({section['full']['params']}):", ""] + _server_table(section) + [""]
        out += _throughput_and_budgets(section)
        passes = section.get("rule_pass_seconds_full")
        if passes:
            out += [f"Automation rule pass over the whole {name} database (`flask rules run`, process start included): "
                    f"{passes[0]} s, run again {passes[1]} s; budget < 10 s.", ""]
        pdf = next((r for r in section["full"]["scenarios"] if r["name"] == "Quote PDF" and r.get("extra")), None)
        if pdf and "vs_bare_p50" in pdf["extra"]:
            out += [f"Quote PDF ÷ bare WeasyPrint render of the same HTML: {pdf['extra']['vs_bare_p50']} (p50), "
                    f"{pdf['extra']['vs_bare_p95']} (p95); budget ≤ 1.5.", ""]
    out += ["**Scaling** (p95 at full scale ÷ p95 at 1/10 scale; goal ≤ 1.3, growth under 1 ms is noise):", ""]
    out += _scaling_table(report["databases"]) + [""]
    if report.get("phone"):
        out += [f"**Phone first load** (Chromium 390×844, empty cache; budget ≤ {PHONE_BUDGET['kb']} KB, "
                f"≤ {PHONE_BUDGET['requests']} requests, load ≤ {PHONE_BUDGET['slow_load_ms']} ms on slow 4G with 4× CPU "
                "slowdown):", "",
                "| page | requests | KB over the wire | DCL ms | load ms | slow 4G DCL ms | slow 4G load ms | budget |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in report["phone"]:
            out.append(f"| {r['page']} | {r['requests']} | {r['kb']} | {r['dcl_ms']} | {r['load_ms']} | {r['slow_dcl_ms']} | "
                       f"{r['slow_load_ms']} | {'ok' if r['within_budget'] else '**over**'} |")
        out.append("")
    if report.get("taps"):
        out += ["**Taps per journey** (typing not counted):", "", "| journey | taps | key presses | budget |", "|---|---:|---:|---|"]
        for r in report["taps"]:
            if r.get("missing"):
                out.append(f"| {r['journey']} | — | — | ≤ {r['budget_taps']} taps (not built yet) |")
            else:
                out.append(f"| {r['journey']} | {r['taps']} | {r['keys']} | ≤ {r['budget_taps']} taps |")
        out.append("")
    load_path = RESULTS / "load-latest.json"
    if load_path.exists():
        load = json.loads(load_path.read_text())
        out += [f"**Load run** (`make bench-load`): {load['users']} reps for {load['duration_s']} s, "
                f"{load['requests']} requests, {load['requests_per_s']} req/s, p50 {load['p50_ms']} ms, "
                f"p95 {load['p95_ms']} ms, p99 {load['p99_ms']} ms, {load['errors']} errors "
                "(budget: 0 errors, page p95 ≤ 300 ms).", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
