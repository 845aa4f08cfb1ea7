"""Headless Chromium for browser tests (Playwright's sync API on Debian's ``chromium`` package).

Playwright's own browser download is never used (``playwright install`` needs the internet): the
browser is the system Chromium that ``make system-deps`` installs through apt, launched by path.
Nothing here skips: a missing Playwright or Chromium raises, so the test that needs it fails.

- :func:`chromium_executable`: the real Chromium binary (``/usr/lib/chromium/chromium`` on Debian;
  ``/usr/bin/chromium`` is a shell wrapper).
- :func:`headless_chromium`: context manager yielding a launched ``playwright`` ``Browser``
  (``--headless=new``, ``--no-sandbox`` when running as root, no GPU, no network side traffic).
- :func:`label_studio_admin` / :func:`login_label_studio`: the stack's admin e-mail and password
  (``<stack dir>/secrets.json``) and a login through Label Studio's own form at ``/user/login/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Where Debian's package puts the real binary, then the names a PATH lookup may find.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser")
#: Flags of every launch (``--no-sandbox`` is added when running as root: Chromium refuses otherwise).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
VIEWPORT = {"width": 1600, "height": 1000}


def chromium_executable() -> str:
    """Path of the system Chromium; raises RuntimeError (a failure, not a skip) when absent."""
    for name in CHROMIUM_CANDIDATES:
        found = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    raise RuntimeError("headless Chromium is needed: apt-get install -y chromium (make system-deps)")


def chromium_flags() -> list[str]:
    """Launch flags: :data:`CHROMIUM_FLAGS`, plus ``--no-sandbox`` as root."""
    return [*CHROMIUM_FLAGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]


@contextmanager
def headless_chromium(*, slow_mo_ms: float = 0) -> Iterator[Any]:
    """A launched headless Chromium (``playwright.sync_api.Browser``), closed on exit."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # the dev extra pins it: `make venv` installs it
        raise RuntimeError("playwright is needed: pip install -e '.[dev]' (playwright==1.63.0)") from exc
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_executable(), headless=True,
                                     args=chromium_flags(), slow_mo=slow_mo_ms)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any, *, timeout_ms: float = 60_000) -> Any:
    """A page in a fresh context (own cookies) with :data:`VIEWPORT` and ``timeout_ms`` default waits."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(timeout_ms)
    return context.new_page()


def label_studio_admin(stack_dir: Path) -> tuple[str, str]:
    """``(email, password)`` of the stack's Label Studio admin, from ``<stack_dir>/secrets.json``."""
    from flows.stack.manager import load_secrets

    secrets = load_secrets(Path(stack_dir))
    if secrets is None or not secrets.label_studio_password:
        raise RuntimeError(f"no Label Studio admin in {stack_dir}/secrets.json: was the stack started there?")
    return secrets.label_studio_user, secrets.label_studio_password


def login_label_studio(page: Any, base_url: str, email: str, password: str) -> None:
    """Log in through Label Studio's form at ``/user/login/``; raises when the form stays."""
    page.goto(f"{base_url.rstrip('/')}/user/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("load")
    if "/user/login" in page.url:
        error = page.locator(".field_errors, .error, .ls-error").all_inner_texts()
        raise RuntimeError(f"Label Studio login as {email} failed at {page.url}: {error}")
