"""What the browser tests share: the app under uvicorn on a free port, Debian's headless Chromium
driven by playwright, waiting on a page's state, and reading screenshots (PNG) as pixels.

A wait gives up early, with a clear message, when the server's thread has died; and it waits on
a condition (polled with ``page.evaluate``: the pages' Content-Security-Policy forbids the eval
that ``wait_for_function`` needs), never for a fixed time.
"""

from __future__ import annotations

import base64
import io
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import uvicorn

from api.app import create_app
from api.config import ApiSettings
from tests.api.conftest import SECRET
from tests.conftest import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class LiveServer:
    """The app under uvicorn in a background thread, on a free port of 127.0.0.1."""

    def __init__(self, target, *, graphiql: bool = False) -> None:
        settings = ApiSettings(HUITONG_JWT_SECRET=SECRET, HUITONG_GRAPHIQL=graphiql)
        app = create_app(settings, target=target, audit_stream=io.StringIO())
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            self.check()
            assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
            time.sleep(0.05)

    def check(self) -> None:
        """Fail at once when the server's thread is gone (a crash, a failed lifespan)."""
        assert self._thread.is_alive(), f"the app's server thread on {self.url} died"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)


@contextmanager
def serve(target, *, graphiql: bool = False) -> Iterator[LiveServer]:
    server = LiveServer(target, graphiql=graphiql)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless; each ``new_page()`` is a fresh context (own storage)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def wait_until(page, server: LiveServer, predicate: str, arg: Any = None, timeout: float = 30):
    """Poll the page until the JS function ``predicate(arg)`` returns something truthy; return
    it. Fails early when the server died, and names the page's status line on a timeout."""
    deadline = time.monotonic() + timeout
    while True:
        server.check()
        value = page.evaluate(predicate, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            status = page.evaluate("() => document.getElementById('status')?.textContent")
            raise AssertionError(f"timed out waiting for {predicate!r} ({arg!r}); status: {status}")
        page.wait_for_timeout(50)


def wait_for(page, server: LiveServer, selector: str, timeout: float = 30) -> None:
    """Wait until ``selector`` matches an element."""
    wait_until(page, server, "s => document.querySelector(s) !== null", selector, timeout)


def wait_gone(page, server: LiveServer, selector: str, timeout: float = 30) -> None:
    """Wait until ``selector`` matches nothing."""
    wait_until(page, server, "s => document.querySelector(s) === null", selector, timeout)


def text_of(page, selector: str) -> str:
    return page.locator(selector).first.text_content() or ""


def decode_png(data: bytes) -> np.ndarray:
    """Pixels of a small 8-bit RGB or RGBA PNG (an element's screenshot) as an H×W×C array;
    a pixel at a time in Python, so keep it to a few hundred thousand pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, header = 8, [], None
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        at += 12 + length
    assert header is not None, "PNG without IHDR"
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, f"unexpected PNG kind {header}"
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    pixels = np.zeros((height, stride), dtype=np.int32)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind = line[0]
        row = np.frombuffer(line[1:], dtype=np.uint8).astype(np.int32)
        if kind == 2:  # up
            row = (row + previous) & 0xFF
        elif kind in (1, 3, 4):  # sub, average, Paeth: depend on the pixel to the left
            out = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                left = out[x - channels] if x >= channels else 0
                up = previous[x]
                if kind == 1:
                    guess = left
                elif kind == 3:
                    guess = (left + up) // 2
                else:
                    upper_left = previous[x - channels] if x >= channels else 0
                    p = left + up - upper_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                    guess = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
                out[x] = (row[x] + guess) & 0xFF
            row = out
        pixels[y] = row
        previous = row
    return pixels.astype(np.uint8).reshape(height, width, channels)


def png_stats(browser, data: bytes) -> dict[str, float]:
    """Width, height and the share of non-white pixels of a (possibly large) PNG, decoded by
    Chromium itself in a blank page."""
    page = browser.new_page()
    try:
        return page.evaluate(
            """async (b64) => {
              const image = new Image();
              image.src = `data:image/png;base64,${b64}`;
              await image.decode();
              const canvas = document.createElement("canvas");
              canvas.width = image.naturalWidth;
              canvas.height = image.naturalHeight;
              const context = canvas.getContext("2d");
              context.drawImage(image, 0, 0);
              const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
              let drawn = 0;
              for (let i = 0; i < data.length; i += 4) {
                if (data[i] + data[i + 1] + data[i + 2] < 720 && data[i + 3] > 0) drawn += 1;
              }
              return { width: canvas.width, height: canvas.height,
                       drawn: drawn / (canvas.width * canvas.height) };
            }""",
            base64.b64encode(data).decode("ascii"),
        )
    finally:
        page.close()


def ink(pixels: np.ndarray) -> np.ndarray:
    """Where a picture differs from its background (its most common colour): a bool mask."""
    rgb = pixels[..., :3].reshape(-1, 3)
    colours, counts = np.unique(rgb, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    return np.abs(pixels[..., :3].astype(int) - background).sum(axis=2) > 60


def renders_distinct_glyphs(page, selector: str) -> bool:
    """Whether the characters of an element's text look different from one another, as a person
    sees them: the element's screenshot differs from one with its characters in reverse order.
    Tofu fails this: every character without a glyph is drawn as the same empty box."""
    locator = page.locator(selector).first
    text = locator.text_content() or ""
    assert len(set(text)) >= 2 and text != text[::-1], f"{text!r} cannot show tofu"
    shown = decode_png(locator.screenshot())
    assert ink(shown).sum() > 20, f"{selector} shows no text at all"
    locator.evaluate("(node, text) => { node.textContent = text; }", text[::-1])
    try:
        reversed_ = decode_png(locator.screenshot())
    finally:
        locator.evaluate("(node, text) => { node.textContent = text; }", text)
    return shown.shape != reversed_.shape or bool((shown != reversed_).any())
