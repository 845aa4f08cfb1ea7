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


def label_studio_env(
    *, data_dir: Path, files_dir: Path, user: str, password: str, token: str
) -> dict[str, str]:
    """Environment of a headless Label Studio start (admin user, legacy token, local files)."""
    return {
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": user,
        "LABEL_STUDIO_PASSWORD": password,
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(files_dir),
        "SSRF_PROTECTION_ENABLED": "false",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
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
