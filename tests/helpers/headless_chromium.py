"""Debian's chromium, headless, driven over the DevTools protocol (websocket-client): open a page,
collect what its console and network did, evaluate script, take a full-page screenshot."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websocket

CHROMIUM = "chromium"  # Debian's package and command name
# Flags that keep a headless run quiet and local: no sandbox (CI runs as root), no GPU, no
# network of its own (updates, sync, QUIC probes), a fresh profile each time.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1200,900",
]
START_TIMEOUT_S = 60  # a cold start on a loaded two-core machine
CALL_TIMEOUT_S = 60


def chromium_path() -> str | None:
    """Where the chromium command is, None when it is not installed."""
    return shutil.which(CHROMIUM)


def required_chromium(what: str) -> str:
    """The chromium command; a loud skip (a failure under CI) when it is not installed."""
    path = chromium_path()
    if path is None:
        message = (
            f"CHROMIUM IS NOT INSTALLED: {what} was NOT checked in a real browser. "
            "Install Debian's package (`apt-get install -y chromium`, as .ci/run does)."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class PageLog:
    """What a page did while it loaded: console errors, exceptions and every URL it requested."""

    errors: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)


class DevTools:
    """One page target of a running chromium, spoken to over its websocket."""

    def __init__(self, ws_url: str) -> None:
        # Chromium refuses websocket clients that send an Origin it was not told to allow.
        self.ws = websocket.create_connection(ws_url, timeout=CALL_TIMEOUT_S, suppress_origin=True)
        self.next_id = 0
        self.log = PageLog()
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are recorded."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())  # bounded: the socket's timeout, CALL_TIMEOUT_S
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.record(message)

    def wait_for(self, event: str, timeout: float = CALL_TIMEOUT_S) -> None:
        """Read events until one named event arrives."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())  # bounded: the socket's timeout, CALL_TIMEOUT_S
            self.record(message)
            if message.get("method") == event:
                return
        raise TimeoutError(f"no {event} within {timeout} s")

    def record(self, message: dict[str, Any]) -> None:
        """Keep the console errors, exceptions and requested URLs an event reports."""
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            self.log.errors.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = [str(arg.get("value", arg.get("description", ""))) for arg in params["args"]]
            self.log.errors.append(f"console.{params['type']}: {' '.join(texts)}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            self.log.errors.append(f"log: {entry['text']} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            self.log.requested.append(params["request"]["url"])

    def open(self, url: str) -> PageLog:
        """Load url with console, log and network watched; return what it did."""
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        return self.log

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (beyond the window), written to path."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.call(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@contextlib.contextmanager
def headless_chromium() -> Iterator[DevTools]:
    """A fresh headless chromium with one blank page; stopped (and its profile removed) after."""
    executable = chromium_path()
    if executable is None:
        raise FileNotFoundError("chromium is not installed")
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    process = subprocess.Popen(
        [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tools = None
    try:
        port = wait_for_port(profile / "DevToolsActivePort", process)
        tools = DevTools(page_websocket(port))
        yield tools
    finally:
        if tools is not None:
            tools.ws.close()
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


def wait_for_port(port_file: Path, process: subprocess.Popen) -> int:
    """The DevTools port chromium writes into its profile once it listens."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode} before it listened")
        if port_file.is_file():
            lines = port_file.read_text().splitlines()
            if lines and lines[0].isdigit():
                return int(lines[0])
        time.sleep(0.1)
    raise TimeoutError(f"chromium wrote no {port_file.name} within {START_TIMEOUT_S} s")


def page_websocket(port: int) -> str:
    """The websocket URL of chromium's first page target, on 127.0.0.1."""
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/json/list", timeout=CALL_TIMEOUT_S
    ) as reply:
        targets = json.load(reply)
    pages = [t for t in targets if t.get("type") == "page"]
    if not pages:
        raise RuntimeError(f"chromium has no page target: {targets}")
    return pages[0]["webSocketDebuggerUrl"]
