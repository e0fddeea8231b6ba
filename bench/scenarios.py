"""Server-side scenarios: N sequential requests after warm-ups, timed by the app's Server-Timing."""
import re
import statistics
import time
import uuid
from dataclasses import asdict, dataclass, field

WARMUPS = 20
REQUESTS = 200
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


@dataclass
class Scenario:
    name: str
    who: str  # "rep" or "manager"
    path: str = ""
    method: str = "GET"
    htmx: bool = False
    missing: str = ""  # set when the feature does not exist yet: the issue that brings it
    form: object = None  # for POSTs: a function (iteration, previous response) -> form data
    server: str = "app"  # "bare": the bare Flask + Jinja yardstick (bench/bare.py), not FieldCRM


@dataclass
class Result:
    name: str
    who: str
    count: int = 0
    server_ms_p50: float = 0.0
    server_ms_p95: float = 0.0
    client_ms_p50: float = 0.0
    client_ms_p95: float = 0.0
    bytes: int = 0
    wire_bytes: int = 0
    errors: int = 0
    ratio_p50: float | None = None
    ratio_p95: float | None = None
    bare_ratio_p50: float | None = None
    bare_ratio_p95: float | None = None
    method: str = "GET"
    htmx: bool = False
    missing: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self):
        return asdict(self)


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


VERSION = re.compile(r'data-version="(\d+)"')


def _move_back_and_forth(ids):
    """Form data that moves the deal to the other of two stages each time, carrying its current version."""
    state = {"version": ids["deal_version"]}

    def form(iteration, previous):
        if previous is not None and (match := VERSION.search(previous.text)):
            state["version"] = int(match.group(1))
        return {"stage_id": ids["stages"][iteration % 2], "version": state["version"]}

    return form


QUOTE_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')


def _line_change(ids):
    """A rep changing a line's quantity (1, 2, 1, 2…) on a draft quote, carrying the quote's current version."""
    line, state = ids["quote_line"], {"version": ids["quote_version"]}

    def form(iteration, previous):
        if previous is not None and (match := QUOTE_VERSION.search(previous.text)):
            state["version"] = int(match.group(1) or match.group(2))
        return {"quantity": str(1 + iteration % 2), "unit": line["unit"], "unit_price_vnd": str(line["unit_price_vnd"]),
                "discount_pct": "0", "vat_rate": "" if line["vat_rate"] is None else str(line["vat_rate"]),
                "version": state["version"]}

    return form


def _call_note(iteration, previous):
    """A reached call with a note and the default next step; a new idempotency key each time, as a new sheet makes."""
    return {"outcome": "reached", "body": f"Khách hẹn gọi lại, lần {iteration}.", "next_step": "in_2_days",
            "client_key": f"bench-{uuid.uuid4()}", "origin": "card", "deal_id": "0"}


BARE = "bare Flask + Jinja, 50 cards"


def scenarios(ids):
    """The scenarios of this run; ids holds a customer and a deal of the rep, and search words."""
    no_quote = "" if ids["quote"] else "6; no draft quote of the rep at this scale"
    return [
        Scenario(BARE, "anonymous", "/", server="bare"),
        Scenario("floor (bare page)", "rep", "/bench/floor"),
        Scenario("Today", "rep", "/"),
        Scenario("Today (manager)", "manager", "/"),
        Scenario("Next 7 days", "rep", "/agenda/week"),
        Scenario("Nearby and due (position)", "rep", f"/nearby?lat={ids['position'][0]}&lng={ids['position'][1]}", htmx=True),
        Scenario("Nearby and due (manager)", "manager", f"/nearby?lat={ids['position'][0]}&lng={ids['position'][1]}",
                 htmx=True),
        Scenario("Due by address (no position)", "rep", "/nearby", htmx=True),
        Scenario("Team agenda", "manager", "/team"),
        Scenario("Notification bell poll (htmx)", "rep", "/notifications/bell", htmx=True),
        Scenario("Pipeline (rep)", "rep", "/pipeline"),
        Scenario("Pipeline (manager)", "manager", "/pipeline"),
        Scenario("Customer search", "rep", f"/customers?q={ids['search']}", htmx=True),
        Scenario("Customer search (manager)", "manager", f"/customers?q={ids['search']}", htmx=True),
        Scenario("Customer search, no match", "rep", f"/customers?q={ids['no_match']}", htmx=True),
        Scenario("Customer search, no match (manager)", "manager", f"/customers?q={ids['no_match']}", htmx=True),
        Scenario("Customer card (1,000 activities)", "rep", f"/customers/{ids['customer']}"),
        Scenario("Deal page", "rep", f"/deals/{ids['deal']}"),
        Scenario("Quotes list", "rep", "/quotes"),
        Scenario("Move a card (htmx)", "rep", f"/deals/{ids['deal']}/move", method="POST", htmx=True,
                 form=_move_back_and_forth(ids)),
        Scenario("Save a call note (htmx)", "rep", f"/customers/{ids['customer']}/notes", method="POST", htmx=True,
                 form=_call_note),
        Scenario("Live quote total (htmx)", "rep", f"/quotes/{ids['quote']}/lines/{ids['quote_line']['id']}",
                 method="POST", htmx=True, form=_line_change(ids), missing=no_quote),
        Scenario("Quote PDF", "rep", f"/quotes/{ids['quote']}.pdf", missing=no_quote),
        Scenario("bare WeasyPrint, same HTML", "rep", f"/bench/bare-pdf/{ids['quote']}", missing=no_quote),
    ]


def measure(session, base_url, scenario, warmups=WARMUPS, requests_count=REQUESTS):
    """Run one scenario and return its Result (server time from Server-Timing, client time around the call)."""
    return measure_interleaved([(session, base_url, scenario)], rounds=1, warmups=warmups,
                               requests_count=requests_count)[0]


def measure_interleaved(runs, rounds=4, warmups=WARMUPS, requests_count=REQUESTS):
    """Results of [(session, base_url, scenario)], measured in `rounds` interleaved rounds of requests_count/rounds
    requests each, so that a noisy minute on a shared machine touches every scenario alike (warm-ups in round 1)."""
    states = []
    for session, base_url, scenario in runs:
        result = Result(scenario.name, scenario.who, method=scenario.method, htmx=scenario.htmx, missing=scenario.missing)
        headers = {"HX-Request": "true"} if scenario.htmx else {}
        if scenario.method == "POST" and not scenario.missing:
            headers["X-CSRFToken"] = csrf_token(session, base_url)
        states.append({"result": result, "headers": headers, "server": [], "client": [], "previous": None, "i": 0})
    per_round = [requests_count // rounds + (1 if r < requests_count % rounds else 0) for r in range(rounds)]
    for round_index, count in enumerate(per_round):
        for (session, base_url, scenario), state in zip(runs, states):
            if not scenario.missing:
                _sample(session, base_url, scenario, state, warmups if round_index == 0 else 0, count)
    for state in states:
        result, server, client = state["result"], state["server"], state["client"]
        if not server:
            continue
        result.count = len(server)
        result.server_ms_p50 = round(statistics.median(server), 2)
        result.server_ms_p95 = round(p95(server), 2)
        result.client_ms_p50 = round(statistics.median(client), 2)
        result.client_ms_p95 = round(p95(client), 2)
    return [state["result"] for state in states]


def _sample(session, base_url, scenario, state, warmups, count):
    result = state["result"]
    for _ in range(warmups + count):
        i = state["i"]
        state["i"] += 1
        data = scenario.form(i, state["previous"]) if scenario.form else None
        started = time.perf_counter()
        response = session.request(scenario.method, base_url + scenario.path, headers=state["headers"], data=data,
                                   allow_redirects=False)
        elapsed = (time.perf_counter() - started) * 1000
        state["previous"] = response
        if response.status_code != 200:  # a redirect to the login page is a failure, not a fast page
            result.errors += 1
        if warmups:
            warmups -= 1
            continue
        match = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
        state["server"].append(float(match.group(1)) if match else elapsed)
        state["client"].append(elapsed)
        result.bytes = len(response.content)
        result.wire_bytes = int(response.headers.get("Content-Length") or len(response.content))


def csrf_token(session, base_url):
    """The CSRF token htmx would send, read from a page of the signed-in session."""
    page = session.get(base_url + "/more").text
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def add_ratios(results):
    """Ratio of each scenario's server time to the floor's, measured in the same run (the quote PDF also to
    a bare WeasyPrint render of the same HTML, the issue's yardstick for it)."""
    floor = next(r for r in results if r.name.startswith("floor"))
    bare = next((r for r in results if r.name == BARE and r.count), None)
    for result in results:
        if result.count and floor.server_ms_p50:
            result.ratio_p50 = round(result.server_ms_p50 / floor.server_ms_p50, 2)
            result.ratio_p95 = round(result.server_ms_p95 / floor.server_ms_p95, 2)
        # Against the bare page, the whole round trip as the client sees it (gunicorn, the WSGI stack, session and
        # teardown included): the bare app's own hooks wrap only its view, so Server-Timings would not compare.
        if result.count and bare and bare.client_ms_p50:
            result.bare_ratio_p50 = round(result.client_ms_p50 / bare.client_ms_p50, 2)
            result.bare_ratio_p95 = round(result.client_ms_p95 / bare.client_ms_p95, 2)
    pdf = next((r for r in results if r.name == "Quote PDF" and r.count), None)
    bare = next((r for r in results if r.name.startswith("bare WeasyPrint") and r.count), None)
    if pdf and bare:
        pdf.extra["vs_bare_p50"] = round(pdf.server_ms_p50 / bare.server_ms_p50, 2)
        pdf.extra["vs_bare_p95"] = round(pdf.server_ms_p95 / bare.server_ms_p95, 2)
    return results


# Issue 18's budgets, as multiples of the bare Flask + Jinja page's round trip measured in the same run (p50, p95).
FLOOR_BUDGET = 2.0
PAGE_BUDGET = 5.0
PAGE_BUDGET_SCENARIOS = ("Pipeline", "Today", "Customer card", "Deal page", "Customer search")
HTMX_ACTION_BUDGET = 3.0
THROUGHPUT_SHARE_BUDGET = 0.25  # the pipeline's requests/s ÷ the bare page's, both on 2 workers × 4 threads


def budget_checks(results, throughput=None):
    """[{budget, scenario, p50, p95 (× bare), limit, ok}] for the floor, the main pages, the htmx actions, and the
    pipeline's throughput share."""
    checks = []
    for r in results:
        if not r.count or r.bare_ratio_p50 is None or r.name == BARE:
            continue
        if r.name.startswith("floor"):
            kind, limit = "floor ≤ 2× bare", FLOOR_BUDGET
        elif r.name.startswith(PAGE_BUDGET_SCENARIOS):
            kind, limit = "page ≤ 5× bare", PAGE_BUDGET
        elif r.method == "POST" and r.htmx:
            kind, limit = "htmx action ≤ 3× bare", HTMX_ACTION_BUDGET
        else:
            continue
        checks.append({"budget": kind, "scenario": f"{r.name} ({r.who})", "p50": r.bare_ratio_p50, "p95": r.bare_ratio_p95,
                       "limit": limit, "ok": r.bare_ratio_p50 <= limit and r.bare_ratio_p95 <= limit})
    if throughput and "Pipeline (rep)" in throughput:
        share = throughput["Pipeline (rep)"]["share_of_bare"]
        checks.append({"budget": "throughput ≥ 25 % of bare", "scenario": "Pipeline (rep)", "p50": share, "p95": None,
                       "limit": THROUGHPUT_SHARE_BUDGET, "ok": share >= THROUGHPUT_SHARE_BUDGET})
    return checks
