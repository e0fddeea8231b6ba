"""Phone page weight: first load of each main page in Chromium at 390×844, empty cache, plain and on slow 4G."""
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True,
             locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
             user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
SLOW_4G = dict(offline=False, latency=150, downloadThroughput=1_600_000 / 8, uploadThroughput=750_000 / 8)
CPU_SLOWDOWN = 4
# Issue 18: ≤ 42 KB (room for the offline worker), ≤ 5 requests, ≤ 1.0 s on slow 4G with a 4× slower CPU.
BUDGET = {"kb": 42, "requests": 5, "slow_load_ms": 1000}
PAGE_KB = {"Public quote (customer)": 40}  # the customer's quote page has its own, smaller budget (issue #6)


def _load(browser, url, cookies, throttled):
    context = browser.new_context(**PHONE)  # a new context: empty cache
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttled:
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    sizes, requests = {}, []
    cdp.on("Network.requestWillBeSent", lambda e: requests.append(e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    timing = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, status: n.responseStatus}; }""")
    context.close()
    return {"requests": len(requests), "bytes": int(sum(sizes.values())), "dcl_ms": round(timing["dcl"]),
            "load_ms": round(timing["load"]), "status": timing["status"], "final_url": page.url}


def measure_pages(base_url, session, pages):
    """[{page, requests, kb, dcl, load, slow dcl, slow load, within budget}] for each (name, path)."""
    cookies = [{"name": c.name, "value": c.value, "url": base_url} for c in session.cookies] if session else []
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, path in pages:
            plain = _load(browser, base_url + path, cookies, throttled=False)
            slow = _load(browser, base_url + path, cookies, throttled=True)
            kb = round(plain["bytes"] / 1024, 1)
            rows.append({
                "page": name, "path": path, "requests": plain["requests"], "kb": kb,
                "dcl_ms": plain["dcl_ms"], "load_ms": plain["load_ms"],
                "slow_dcl_ms": slow["dcl_ms"], "slow_load_ms": slow["load_ms"],
                "status": plain["status"],
                "within_budget": plain["status"] == 200 and kb <= PAGE_KB.get(name, BUDGET["kb"]) and plain["requests"] <= BUDGET["requests"]
                and slow["load_ms"] <= BUDGET["slow_load_ms"],
            })
        browser.close()
    return rows
