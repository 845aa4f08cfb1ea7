"""A webhook receiver (flows.webhook_app under uvicorn) in a background thread, for func tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from flows.webhook_app import WEBHOOK_PATH, create_app
from ui_adapters.records import WebhookEvent


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_receiver(
    *, secret: str, emit: Callable[[WebhookEvent], None], host: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve the webhook app on a free loopback port; yields the webhook URL."""
    port = free_port(host)
    config = uvicorn.Config(create_app(secret, emit=emit), host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("webhook receiver did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}{WEBHOOK_PATH}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll ``predicate`` every 0.1 s until true or ``timeout`` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return predicate()
        time.sleep(0.1)
    return True
