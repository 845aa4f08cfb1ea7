"""Label Studio adapter behaviour that needs no server: batching, input checks, errors, secrets."""

from __future__ import annotations

import json
import logging
import socket

import pytest
from helpers.label_studio import make_masklet
from label_studio_sdk.core.api_error import ApiError

from ui_adapters.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ReviewUIError,
    UnavailableError,
)
from ui_adapters.label_studio_ui import LabelStudioReviewUI
from ui_adapters.ls_errors import label_studio_errors
from ui_adapters.records import ReviewRound
from ui_adapters.review_ui import ReviewUI
from ui_adapters.task_importer import batches

TOKEN = "tok-0123456789abcdef-never-log-me"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_batches_respect_count_and_bytes() -> None:
    tasks = [{"data": {"i": i, "pad": "x" * 100}} for i in range(10)]
    by_count = list(batches(tasks, batch_size=4, max_batch_bytes=10**6))
    assert [len(b) for b in by_count] == [4, 4, 2]
    one = len(json.dumps(tasks[0], separators=(",", ":"))) + 1
    by_bytes = list(batches(tasks, batch_size=100, max_batch_bytes=3 * one + 2))
    assert [len(b) for b in by_bytes] == [3, 3, 3, 1]
    assert [t for b in by_bytes for t in b] == tasks
    with pytest.raises(InvalidInputError, match="review_max_frames"):
        list(batches(tasks, batch_size=1, max_batch_bytes=one - 5))


def test_unreachable_label_studio_is_unavailable_and_token_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ui = LabelStudioReviewUI(url=f"http://127.0.0.1:{_closed_port()}", token=TOKEN, timeout=5)
    assert isinstance(ui, ReviewUI) and TOKEN not in repr(ui)
    with pytest.raises(UnavailableError, match="unreachable") as info:
        ui.open_review(round=ReviewRound(round_id=1, title="t"), masklets=[make_masklet(1, 2)], max_frames=4)
    assert info.value.exit_code == 5
    assert TOKEN not in str(info.value) and TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, ReviewUIError), (404, NotFoundError), (409, ConflictError), (400, InvalidInputError), (500, UnavailableError)],
)
def test_api_errors_are_translated(status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as info, label_studio_errors("doing x", url="http://ls"):
        raise ApiError(status_code=status, body={"detail": "nope"}, headers={"Authorization": f"Token {TOKEN}"})
    assert isinstance(info.value.__cause__, ApiError)
    assert TOKEN not in str(info.value)


def test_ssrf_refusal_names_the_protection_not_the_token() -> None:
    body = {"url": ["URL resolves to a reserved network address (block: 127.0.0.0/8)"]}
    with pytest.raises(InvalidInputError) as info, label_studio_errors("registering the webhook of project 3", url="http://ls"):
        raise ApiError(status_code=403, body=body, headers={})
    message = str(info.value)
    assert "SSRF protection" in message and "127.0.0.0/8" in message and "USE_DEFAULT_BANNED_SUBNETS" in message
    assert "API token" not in message


def test_input_checks() -> None:
    with pytest.raises(InvalidInputError, match="TOKEN"):
        LabelStudioReviewUI(url="http://ls", token="")
    with pytest.raises(InvalidInputError, match="webhook_secret"):
        LabelStudioReviewUI(url="http://ls", token=TOKEN, webhook_url="http://hook")
    ui = LabelStudioReviewUI(url="http://127.0.0.1:9", token=TOKEN)
    with pytest.raises(InvalidInputError, match="twice"):
        ui.open_review(round=ReviewRound(round_id=1, title="t"), masklets=[make_masklet(1, 2)] * 2, max_frames=4)


def test_frame_storage_repr_hides_credentials() -> None:
    from ui_adapters.records import S3FrameStorage

    storage = S3FrameStorage(bucket="b", endpoint="http://127.0.0.1:8333", access_key="AKIA-x", secret_key="sk-y")
    assert "AKIA-x" not in repr(storage) and "sk-y" not in repr(storage) and "b" in repr(storage)
