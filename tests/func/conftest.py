"""Fixtures of the functional tests (real services on 127.0.0.1), built on the session ``stack``.

Every test under tests/func is marked ``stack``.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/func with ``stack``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.stack)


@pytest.fixture()
def s3_client(stack):  # type: ignore[no-untyped-def]
    """A ``minio.Minio`` client on the stack's S3 gateway (stack credentials)."""
    from minio import Minio

    if stack.s3_endpoint is None:
        pytest.fail("s3_client needs s3 in MASKLOOP_TEST_SERVICES")
    return Minio(
        stack.s3_endpoint,
        access_key=stack.s3_access_key,
        secret_key=stack.s3_secret_key,
        secure=False,
        region=stack.s3_region,
    )


@pytest.fixture()
def label_studio_client(stack):  # type: ignore[no-untyped-def]
    """A ``label_studio_sdk.LabelStudio`` client with the stack's admin token."""
    from label_studio_sdk import LabelStudio

    if stack.label_studio_url is None:
        pytest.fail("label_studio_client needs label-studio in MASKLOOP_TEST_SERVICES")
    return LabelStudio(base_url=stack.label_studio_url, api_key=stack.label_studio_token)
