#!/usr/bin/env python3
"""A deliberately flaky HTTP service for `medic demo` (standard library only).

GET /health answers 200 while the service is fine. Each start ("life") misbehaves in a way
chosen by a counter kept in $DEMO_STATE_FILE, so the demo tells the same story every time:

  life 1: serves for a few seconds, then crashes with exit code 3
  life 2: stays up but turns unhealthy: /health answers 500 (a hung/broken service)
  life 3+: crashes with exit code 3 again after a few seconds

It also exits when its parent (medic) disappears, so a killed demo leaves nothing behind.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 4100
STATE = os.environ.get("DEMO_STATE_FILE", "/tmp/medic-demo-lives")
CRASH_AFTER = float(os.environ.get("DEMO_CRASH_AFTER_SEC", "3"))


def next_life() -> int:
    try:
        with open(STATE) as f:
            life = int(f.read().strip() or "0") + 1
    except (FileNotFoundError, ValueError):
        life = 1
    with open(STATE, "w") as f:
        f.write(str(life))
    return life


LIFE = next_life()
STARTED = time.monotonic()
MODE = "unhealthy" if LIFE == 2 else "crash"


def log(msg: str) -> None:
    print(f"flaky life {LIFE}: {msg}", flush=True)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if self.path != "/health":
            self.send_error(404)
            return
        broken = MODE == "unhealthy" and time.monotonic() - STARTED > 2
        body = json.dumps({"ok": not broken, "life": LIFE}).encode()
        self.send_response(500 if broken else 200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # quiet: medic probes every second
        pass


def watchdog() -> None:
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)  # medic is gone
        if MODE == "crash" and time.monotonic() - STARTED > CRASH_AFTER:
            log(f"crashing with exit code 3 after {CRASH_AFTER:.0f}s")
            os._exit(3)


ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
log(f"listening on http://127.0.0.1:{PORT}/health ({'will crash' if MODE == 'crash' else 'will turn unhealthy'})")
threading.Thread(target=watchdog, daemon=True).start()
server.serve_forever()
