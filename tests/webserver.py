"""A real HTTP server on loopback for tests: fixture files (with HOST replaced by the server's
address, ETag and 304 support), extra routes set by a test, and a log of every request."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TYPES = {".xml": "application/rss+xml", ".html": "text/html; charset=utf-8", ".opml": "text/x-opml",
         ".txt": "text/plain"}
Route = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


@dataclass
class Web:
    root: Path
    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # path -> body, added or replaced by a test
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (method, path, headers)

    def url(self, path: str) -> str:
        return self.base + path

    def requests(self, path: str) -> list[dict[str, str]]:
        return [h for _, p, h in self.log if p == path]

    def body(self, path: str) -> bytes | None:
        if path in self.files:
            return self.files[path]
        root = self.root.resolve()
        f = (root / path.lstrip("/")).resolve()
        if f.is_file() and root in f.parents:
            return f.read_bytes().replace(b"http://HOST", self.base.encode())
        return None


def serve(web: Web) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            web.log.append(("GET", path, dict(self.headers)))
            if path in web.routes:
                status, headers, body = web.routes[path](self)
            elif (data := web.body(path)) is not None:
                etag = '"' + hashlib.sha1(data).hexdigest()[:12] + '"'
                if self.headers.get("If-None-Match") == etag:
                    status, headers, body = 304, {"ETag": etag}, b""
                else:
                    ctype = TYPES.get(Path(path).suffix, "application/octet-stream")
                    status, headers, body = 200, {"ETag": etag, "Content-Type": ctype}, data
            elif path == "/robots.txt":
                status, headers, body = 404, {}, b""
            else:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    web.base = f"http://127.0.0.1:{srv.server_address[1]}"
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv, t
