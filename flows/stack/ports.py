"""Pick loopback ports for a throw-away stack (tests): free now, and a free SeaweedFS port block."""

from __future__ import annotations

import random
import socket

from flows.stack.s3 import weed_ports


def port_free(host: str, port: int) -> bool:
    """True when ``host:port`` can be bound right now (TCP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def pick_ports(
    host: str = "127.0.0.1",
    *,
    low: int = 20000,
    high: int = 40000,
    rng: random.Random | None = None,
) -> dict[str, int]:
    """Ports for postgres, s3 (with its whole SeaweedFS block free), label_studio, mlflow, prefect,
    the webhook receiver.

    Returns ``{"postgres_port": p, "s3_port": p, "label_studio_port": p, "mlflow_port": p,
    "prefect_port": p, "webhook_port": p}`` with every port in ``[low, high)`` (SeaweedFS gRPC ports lie 10000 above).
    """
    rng = rng or random.Random()
    taken: set[int] = set()
    for _ in range(200):
        base = rng.randrange(low, high - 8)
        block = set(weed_ports(base).values())
        if all(port_free(host, p) for p in block):
            taken |= block
            s3 = base
            break
    else:
        raise RuntimeError("no free port block for SeaweedFS")
    out = {"s3_port": s3}
    for key in ("postgres_port", "label_studio_port", "mlflow_port", "prefect_port", "webhook_port"):
        while True:
            port = rng.randrange(low, high)
            if port not in taken and port_free(host, port):
                taken.add(port)
                out[key] = port
                break
    return out
