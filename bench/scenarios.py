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


def scenarios(ids):
    """The scenarios of this run; ids holds a customer and a deal of the rep, and search words."""
    return [
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
                 method="POST", htmx=True, form=_line_change(ids)),
        Scenario("Quote PDF", "rep", f"/quotes/{ids['quote']}.pdf"),
        Scenario("bare WeasyPrint, same HTML", "rep", f"/bench/bare-pdf/{ids['quote']}"),
    ]


def measure(session, base_url, scenario, warmups=WARMUPS, requests_count=REQUESTS):
    """Run one scenario and return its Result (server time from Server-Timing, client time around the call)."""
    result = Result(scenario.name, scenario.who, missing=scenario.missing)
    if scenario.missing:
        return result
    headers = {"HX-Request": "true"} if scenario.htmx else {}
    if scenario.method == "POST":
        headers["X-CSRFToken"] = csrf_token(session, base_url)
    server, client = [], []
    previous = None
    for i in range(warmups + requests_count):
        data = scenario.form(i, previous) if scenario.form else None
        started = time.perf_counter()
        response = session.request(scenario.method, base_url + scenario.path, headers=headers, data=data,
                                   allow_redirects=False)
        elapsed = (time.perf_counter() - started) * 1000
        previous = response
        if response.status_code != 200:  # a redirect to the login page is a failure, not a fast page
            result.errors += 1
        if i < warmups:
            continue
        match = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
        server.append(float(match.group(1)) if match else elapsed)
        client.append(elapsed)
        result.bytes = len(response.content)
        result.wire_bytes = int(response.headers.get("Content-Length") or len(response.content))
    result.count = len(server)
    result.server_ms_p50 = round(statistics.median(server), 2)
    result.server_ms_p95 = round(p95(server), 2)
    result.client_ms_p50 = round(statistics.median(client), 2)
    result.client_ms_p95 = round(p95(client), 2)
    return result


def csrf_token(session, base_url):
    """The CSRF token htmx would send, read from a page of the signed-in session."""
    page = session.get(base_url + "/more").text
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def add_ratios(results):
    """Ratio of each scenario's server time to the floor's, measured in the same run (the quote PDF also to
    a bare WeasyPrint render of the same HTML, the issue's yardstick for it)."""
    floor = next(r for r in results if r.name.startswith("floor"))
    for result in results:
        if result.count and floor.server_ms_p50:
            result.ratio_p50 = round(result.server_ms_p50 / floor.server_ms_p50, 2)
            result.ratio_p95 = round(result.server_ms_p95 / floor.server_ms_p95, 2)
    pdf = next((r for r in results if r.name == "Quote PDF" and r.count), None)
    bare = next((r for r in results if r.name.startswith("bare WeasyPrint") and r.count), None)
    if pdf and bare:
        pdf.extra["vs_bare_p50"] = round(pdf.server_ms_p50 / bare.server_ms_p50, 2)
        pdf.extra["vs_bare_p95"] = round(pdf.server_ms_p95 / bare.server_ms_p95, 2)
    return results
