"""PDFs with WeasyPrint, which may read nothing but data: URIs and the app's own static files.

WeasyPrint runs in a helper process (one per app process, started on the first PDF), which imports
it once and renders one document at a time. A render that outlasts PDF_TIMEOUT_SECONDS is killed and
reported as PdfError: a huge quote fails cleanly instead of holding a web worker — and, through the
GIL, that worker's other threads — for as long as it takes.
"""
import json
import mimetypes
import os
import select
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app


class PdfError(RuntimeError):
    """The PDF could not be made (in time, or at all)."""


_fetcher_class = None


def static_only_fetcher_class():
    """weasyprint.urls.URLFetcher subclass serving data: URIs and files inside one folder; it raises for the rest."""
    global _fetcher_class
    if _fetcher_class is None:
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        class StaticOnlyURLFetcher(URLFetcher):
            """Never the network, never a file outside the static folder (file://, http(s)://, ftp: all raise)."""

            def __init__(self, static_folder, **kwargs):
                super().__init__(**kwargs)
                self.static_folder = os.path.realpath(static_folder)

            def fetch(self, url, headers=None):
                parts = urlsplit(url)
                scheme = parts.scheme.lower()
                if scheme == "data":
                    # urllib's data: handler decodes in memory; no other handler is reached for this scheme.
                    with urllib.request.urlopen(url) as response:
                        return URLFetcherResponse(url, response.read(), {"Content-Type": response.headers.get_content_type()})
                if scheme == "file" and parts.netloc in ("", "localhost"):
                    path = os.path.realpath(urllib.request.url2pathname(parts.path))
                    inside = os.path.commonpath([path, self.static_folder]) == self.static_folder
                    if inside and os.path.isfile(path):
                        with open(path, "rb") as fh:
                            body = fh.read()
                        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
                        return URLFetcherResponse(url, body, {"Content-Type": mime})
                raise ValueError(f"PDF resources come only from the static folder or data: URIs, not {url[:200]}")

        _fetcher_class = StaticOnlyURLFetcher
    return _fetcher_class


def _render_here(html, static_folder):
    """Render in this process (the helper process calls this)."""
    import weasyprint  # once per process: the import costs about half a second

    fetcher = static_only_fetcher_class()(static_folder)
    base_url = Path(static_folder).resolve().as_uri() + "/"  # "img/logo.svg" resolves inside static
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def _read_exact(stream_fd, size, deadline):
    """size bytes from a pipe; TimeoutError when the deadline passes (None: no deadline), EOFError at its end."""
    chunks, missing = [], size
    while missing:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([stream_fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(stream_fd, min(missing, 1 << 20))
        if not chunk:
            raise EOFError("the PDF process ended")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _frame(payload):
    return struct.pack(">Q", len(payload)) + payload


def _serve():
    """The helper process (`python -m app.pdf`): render each request from stdin, answer on stdout."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed by a library goes to stderr, never into the answers
    requests = sys.stdin.buffer.raw.fileno()
    while True:
        try:
            (size,) = struct.unpack(">Q", _read_exact(requests, 8, None))
            request = json.loads(_read_exact(requests, size, None))
        except EOFError:
            return
        try:
            status, body = b"1", _render_here(request["html"], request["static_folder"])
        except Exception as exc:  # reported to the caller, who raises PdfError
            status, body = b"0", f"{type(exc).__name__}: {exc}"[:500].encode()
        answers.write(status + _frame(body))
        answers.flush()


class _Renderer:
    """The app process's side: one helper process, one render at a time, a deadline per render."""

    def __init__(self):
        self._lock = threading.Lock()
        self._process = None

    def render(self, html, static_folder, project_folder, timeout):
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise PdfError(f"no PDF slot free within {timeout} s")
        try:
            self._start(project_folder)
            request = json.dumps({"html": html, "static_folder": static_folder}, ensure_ascii=False).encode()
            try:
                self._process.stdin.write(_frame(request))
                self._process.stdin.flush()
                answer_fd = self._process.stdout.fileno()
                status = _read_exact(answer_fd, 1, deadline)
                (size,) = struct.unpack(">Q", _read_exact(answer_fd, 8, deadline))
                body = _read_exact(answer_fd, size, deadline)
            except TimeoutError:
                self._stop()
                raise PdfError(f"the PDF took longer than {timeout} s") from None
            except (EOFError, OSError) as exc:
                self._stop()
                raise PdfError(f"the PDF process failed: {exc}") from exc
        finally:
            self._lock.release()
        if status != b"1":
            raise PdfError(body.decode(errors="replace"))
        return body

    def _start(self, project_folder):
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        # A fresh interpreter (not a fork): safe whatever threads this process runs (gunicorn, the job consumer).
        self._process = subprocess.Popen([sys.executable, "-m", "app.pdf"], cwd=project_folder, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, close_fds=True)

    def _stop(self):
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait(5)
            for stream in (process.stdin, process.stdout):
                stream.close()


_renderer = _Renderer()


def render_pdf(html: str, timeout=None) -> bytes:
    """The PDF of html (resources only from app/static and data: URIs); raises PdfError after the time cap."""
    if timeout is None:
        timeout = current_app.config["PDF_TIMEOUT_SECONDS"]
    return _renderer.render(html, current_app.static_folder, os.path.dirname(current_app.root_path), timeout)


if __name__ == "__main__":
    _serve()
