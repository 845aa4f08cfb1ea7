"""Label Studio 1.23.2 server from its own virtualenv, started headless with an admin and a legacy token.

The server lives in ``config.label_studio_venv`` (its pins clash with prefect's, see
integration-facts 1.1); when that venv is missing it is created with ``python3.11 -m venv`` and
``pip install label-studio==1.23.2``. Data (SQLite + media) under ``<dir>/label-studio``.
A cold start on a new data dir migrates for about 45 s; a restart takes about 5 s.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from flows.errors import UnavailableError
from flows.stack.process import log_tail
from flows.stack.records import Command
from flows.stack.service import Service, http_ok

LABEL_STUDIO_VERSION = "1.23.2"
VENV_PYTHON = "python3.11"

#: Seconds Label Studio waits for the webhook receiver's answer (its ``WEBHOOK_TIMEOUT``, default 1).
WEBHOOK_TIMEOUT_S = 10.0

#: Label Studio 1.23.2's default SSRF block list (``validate_ip`` in core/utils/io.py) without the
#: loopback ranges 127.0.0.0/8 and ::1/128. Every stack service, the webhook receiver and the S3
#: gateway among them, listens on 127.0.0.1, which the default list refuses (creating a webhook to
#: it answers 403 "URL resolves to a reserved network address"). Rather than switching the
#: protection off (``SSRF_PROTECTION_ENABLED=false``), the stack keeps it on with this list
#: (``USE_DEFAULT_BANNED_SUBNETS=false`` + ``USER_ADDITIONAL_BANNED_SUBNETS``): Label Studio may
#: reach loopback, still not private networks, link-local (cloud metadata) or other reserved ranges.
BANNED_SUBNETS_BUT_LOOPBACK: tuple[str, ...] = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "233.252.0.0/24",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "::ffff:0:0/96",
    "::ffff:0:0:0/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:0000::/32",
    "2001:20::/28",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
)


def label_studio_env(
    *, data_dir: Path, files_dir: Path, user: str, password: str, token: str
) -> dict[str, str]:
    """Environment of a headless Label Studio start (admin user, legacy token, local files,
    SSRF protection that lets it reach the stack's loopback services: webhooks, S3)."""
    return {
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": user,
        "LABEL_STUDIO_PASSWORD": password,
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(files_dir),
        "SSRF_PROTECTION_ENABLED": "true",
        "USE_DEFAULT_BANNED_SUBNETS": "false",
        "USER_ADDITIONAL_BANNED_SUBNETS": ",".join(BANNED_SUBNETS_BUT_LOOPBACK),
        # webhooks are posted inside the API request that triggers them and never redelivered;
        # the default 1 s read timeout drops deliveries on a busy machine
        "WEBHOOK_TIMEOUT": str(WEBHOOK_TIMEOUT_S),
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
        # Label Studio reports errors to Heartex's Sentry by default; an empty DSN turns it off
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
    }


class LabelStudioService(Service):
    """Label Studio on ``config.label_studio_port``; token usable by ``label_studio_sdk.LabelStudio``."""

    name = "label-studio"
    startup_timeout_s = 420.0  # cold start migrates (45 s idle, much longer on a busy 2-core box)

    @property
    def root(self) -> Path:
        return self.config.dir / "label-studio"

    @property
    def venv(self) -> Path:
        return self.config.label_studio_venv.resolve()

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "label-studio"

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.config.label_studio_port}"

    def ports(self) -> tuple[int, ...]:
        return (self.config.label_studio_port,)

    def prepare(self) -> None:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        (self.root / "files").mkdir(parents=True, exist_ok=True)
        if not self.executable.is_file():
            self._create_venv()

    def _create_venv(self) -> None:
        """``python3.11 -m venv`` + ``pip install label-studio==1.23.2``, pip's progress on the console."""
        python = shutil.which(VENV_PYTHON)
        if python is None:
            raise UnavailableError(f"{VENV_PYTHON} not found; it is needed to create {self.venv}")
        console = self.ctx.console
        console.print(
            f"[cyan]label-studio[/]: creating {self.venv} (pip install label-studio=={LABEL_STUDIO_VERSION}; minutes)"
        )
        install_log = self.ctx.logs_dir / "label-studio-install.log"
        install_log.parent.mkdir(parents=True, exist_ok=True)
        steps = (
            [python, "-m", "venv", str(self.venv)],
            [
                str(self.venv / "bin" / "pip"),
                "install",
                "--progress-bar",
                "off",
                f"label-studio=={LABEL_STUDIO_VERSION}",
            ],
        )
        with (
            open(install_log, "a", encoding="utf-8") as log,
            console.status("installing Label Studio") as status,
        ):
            for argv in steps:
                proc = subprocess.Popen(
                    argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
                assert proc.stdout is not None
                for line in proc.stdout:
                    log.write(line)
                    if line.startswith(("Collecting", "Downloading", "Installing", "Successfully")):
                        status.update(f"label-studio venv: {line.strip()[:100]}")
                if proc.wait() != 0:
                    raise UnavailableError(
                        f"creating the Label Studio venv failed ({' | '.join(log_tail(install_log, lines=1))});"
                        f" see {install_log}"
                    )
        if not self.executable.is_file():
            raise UnavailableError(f"{self.executable} missing after install; see {install_log}")

    def command(self) -> Command:
        s = self.ctx.secrets
        return Command(
            argv=(
                str(self.executable),
                "start",
                "--no-browser",
                "--internal-host",
                self.config.host,
                "--port",
                str(self.config.label_studio_port),
                "--data-dir",
                str(self.root / "data"),
            ),
            env=label_studio_env(
                data_dir=self.root / "data",
                files_dir=self.root / "files",
                user=s.label_studio_user,
                password=s.label_studio_password,
                token=s.label_studio_token,
            ),
            cwd=self.root,
        )

    def is_healthy(self) -> bool:
        return http_ok(f"{self.base_url}/health")

    def after_start(self) -> None:
        """Check the generated token works through the SDK (``projects.list()``)."""
        from label_studio_sdk import LabelStudio

        try:
            LabelStudio(
                base_url=self.base_url, api_key=self.ctx.secrets.label_studio_token
            ).projects.list()
        except Exception as exc:
            raise UnavailableError(
                f"Label Studio is up but its API token is rejected ({type(exc).__name__}); see {self.log}"
            ) from exc

    def url(self) -> str:
        return self.base_url
