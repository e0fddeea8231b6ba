"""Our own CSS and JavaScript served minified (rcssmin, rjsmin), computed once per file version.

The files stay readable in the repository; phones download the small form. Vendored files that
are already minified (`*.min.js`) and everything else go through Flask's static view unchanged.
"""
import os
import threading

import rcssmin
import rjsmin
from flask import Response, current_app

MINIFIERS = {".css": ("text/css; charset=utf-8", rcssmin.cssmin), ".js": ("text/javascript; charset=utf-8", rjsmin.jsmin)}
_cache = {}
_lock = threading.Lock()


def _minified(path):
    """(bytes, mime type) of the minified file at path, or None when it is not ours to minify."""
    base, ext = os.path.splitext(path)
    if ext not in MINIFIERS or base.endswith(".min") or not os.path.isfile(path):
        return None
    stamp = os.stat(path).st_mtime_ns
    cached = _cache.get(path)
    if cached is None or cached[0] != stamp:
        mime, minify = MINIFIERS[ext]
        with open(path, encoding="utf-8") as fh:
            body = minify(fh.read()).encode("utf-8")
        with _lock:
            _cache[path] = cached = (stamp, body, mime)
    return cached[1], cached[2]


def init_app(app):
    """Wrap the static view: our .css/.js minified, the rest as Flask serves it."""
    plain = app.view_functions["static"]

    def static(filename):
        folder = os.path.realpath(current_app.static_folder)
        path = os.path.realpath(os.path.join(folder, filename))
        found = _minified(path) if path.startswith(folder + os.sep) else None
        if found is None:
            return plain(filename=filename)
        body, mime = found
        return Response(body, mimetype=mime.split(";")[0], content_type=mime)

    app.view_functions["static"] = static
