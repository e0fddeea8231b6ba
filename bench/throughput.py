"""Bounded throughput runs (as `wrk -t2 -c8 -d10s` would make): keep-alive connections sending one GET after another.

wrk is used when it is installed; otherwise a small client here, on raw sockets so that its own cost per
request (tens of microseconds) stays far below the server's. Both count only 200 answers as done.
"""
import re
import shutil
import socket
import statistics
import subprocess
import threading
import time
from urllib.parse import urlsplit

CONNECTIONS = 8
SECONDS = 10


def run(base_url, path, cookie="", connections=CONNECTIONS, seconds=SECONDS):
    """{"requests_per_s", "requests", "errors", "p50_ms", "tool"} of `connections` clients for `seconds`."""
    if shutil.which("wrk"):
        return _wrk(base_url, path, cookie, connections, seconds)
    parts = urlsplit(base_url)
    request = (f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept-Encoding: gzip, deflate, br\r\n"
               f"User-Agent: fieldcrm-bench\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode()
    done, errors, latencies, lock = [0], [0], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        ok = bad = 0
        mine = []
        sock, buffer = None, b""
        while time.monotonic() < deadline:
            if sock is None:
                sock, buffer = socket.create_connection((parts.hostname, parts.port)), b""
            started = time.perf_counter()
            try:
                sock.sendall(request)
                status, close, buffer = _read_response(sock, buffer)
            except (OSError, ValueError):
                bad += 1
                sock.close()
                sock = None
                continue
            mine.append((time.perf_counter() - started) * 1000)
            if status == 200:
                ok += 1
            else:
                bad += 1
            if close:
                sock.close()
                sock = None
        if sock is not None:
            sock.close()
        with lock:
            done[0] += ok
            errors[0] += bad
            latencies.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    wall = time.monotonic() - started
    return {"requests_per_s": round(done[0] / wall, 1), "requests": done[0], "errors": errors[0],
            "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
            "tool": f"python, {connections} keep-alive connections, {seconds} s"}


def _read_response(sock, buffer):
    """(status, connection closes, the bytes after this response) of one HTTP/1.1 response with a Content-Length."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError("connection closed")
        buffer += chunk
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {name.strip().lower(): value.strip() for name, _sep, value in (line.partition(":") for line in lines[1:])}
    if "content-length" not in fields:
        raise ValueError("no Content-Length")
    length = int(fields["content-length"])
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError("connection closed")
        buffer += chunk
    return status, fields.get("connection", "").lower() == "close", buffer[length:]


def _wrk(base_url, path, cookie, connections, seconds):
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
               "-H", "Accept-Encoding: gzip, deflate, br"] + (["-H", f"Cookie: {cookie}"] if cookie else []) + [base_url + path]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"requests_per_s": round(rate, 1), "requests": total, "errors": int(non_2xx.group(1)) if non_2xx else 0,
            "p50_ms": None, "tool": " ".join(command[:4])}


def cookie_header(session):
    """The Cookie header of a requests.Session (the signed-in session cookie)."""
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)
