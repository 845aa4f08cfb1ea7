"""The Label Studio webhook receiver (:mod:`flows.webhook_app`) under uvicorn, on ``config.webhook_port``.

Label Studio posts ANNOTATION_CREATED / ANNOTATION_UPDATED to ``<url>/webhooks/label-studio``; the
receiver checks the shared secret header and emits the Prefect event ``maskloop.review.submitted``
to the stack's Prefect server, whose ``sync-reviews`` trigger records the reviews. The secret
(``MASKLOOP_WEBHOOK_SECRET``, from secrets.json) travels in the process environment only, never on
the command line; ``MASKLOOP_HOME`` points at ``<dir>/webhook-receiver`` so the receiver's
settings come from that environment alone (no stack.env, no user configuration).
"""

from __future__ import annotations

import sys
from pathlib import Path

from flows.stack.prefect_server import prefect_base_env
from flows.stack.records import Command, StackConfig
from flows.stack.service import Service, http_ok

#: Path of the receiver's Label Studio endpoint (``flows.webhook_app.WEBHOOK_PATH``; not imported
#: here so stack commands do not load FastAPI).
WEBHOOK_PATH = "/webhooks/label-studio"


def receiver_webhook_url(config: StackConfig) -> str:
    """``http://<host>:<webhook_port>/webhooks/label-studio``: what Label Studio projects post to."""
    return f"http://{config.host}:{config.webhook_port}{WEBHOOK_PATH}"


class WebhookReceiverService(Service):
    """``uvicorn flows.webhook_app:app_from_settings --factory`` on ``config.webhook_port`` (one worker)."""

    name = "webhook-receiver"
    startup_timeout_s = 90.0

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.config.webhook_port}"

    @property
    def webhook_url(self) -> str:
        """The URL registered on Label Studio projects (``MASKLOOP_WEBHOOK_URL``)."""
        return receiver_webhook_url(self.config)

    @property
    def home(self) -> Path:
        """Working directory and ``MASKLOOP_HOME`` of the receiver process."""
        return self.config.dir / "webhook-receiver"

    def ports(self) -> tuple[int, ...]:
        return (self.config.webhook_port,)

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)

    def command(self) -> Command:
        c = self.config
        prefect_api = f"http://{c.host}:{c.prefect_port}/api"
        env = prefect_base_env(c.dir / "prefect")
        env.update(
            {
                "MASKLOOP_HOME": str(self.home),
                "MASKLOOP_WEBHOOK_SECRET": self.ctx.secrets.webhook_secret,
                "MASKLOOP_PREFECT_API_URL": prefect_api,
                "PREFECT_API_URL": prefect_api,
            }
        )
        return Command(
            argv=(
                sys.executable,
                "-m",
                "uvicorn",
                "flows.webhook_app:app_from_settings",
                "--factory",
                "--host",
                c.host,
                "--port",
                str(c.webhook_port),
                "--workers",
                "1",
                "--log-level",
                "info",
            ),
            env=env,
            unset=("MASKLOOP_STACK_DIR", "PREFECT_PROFILE"),
            cwd=self.home,
        )

    def is_healthy(self) -> bool:
        return http_ok(f"{self.base_url}/healthz")

    def url(self) -> str:
        return self.webhook_url
