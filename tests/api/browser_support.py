"""Headless Chromium for browser tests (Debian's `chromium` with `chromium-driver`, driven by selenium), a second
API server with settings of its own on the test server's loop, and a static page server on another loopback port.

The tests are skipped only when those binaries are absent (`.ci/run` installs them, so CI runs them).
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


@contextlib.contextmanager
def headless_chromium(*extra_args: str) -> Iterator:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(p) and os.access(p, os.X_OK))]
    if missing:
        pytest.skip(f"headless Chromium not installed ({', '.join(missing)} missing): "
                    "apt-get install chromium chromium-driver (.ci/run does)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e '.[dev]')")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="sharedgoals-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,900", f"--user-data-dir={profile}", *extra_args):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


POLL_SECONDS = 0.02  # selenium's default is 0.5 s: most waits are over in a few milliseconds


def wait_for(driver, predicate, timeout: float = 30):
    """`predicate()`'s first true value, asked every POLL_SECONDS for up to `timeout` seconds."""
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=POLL_SECONDS).until(lambda _: predicate())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def static_site(directory: Path) -> Iterator[str]:
    """Python's own http.server serving `directory` on a loopback port of its own: another origin than the API's."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, name="static-site", daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def api_server(live_server, app) -> Iterator[str]:
    """Serves `app` (built with `create_app(..., manage_db=False)`) under uvicorn on the test server's loop, which
    holds the open database, on a port of its own."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))

    async def start() -> int:
        task = asyncio.get_running_loop().create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        return server.servers[0].sockets[0].getsockname()[1]

    port = live_server.run(start())
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
