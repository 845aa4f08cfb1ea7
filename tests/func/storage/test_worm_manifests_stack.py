"""WORM option: with MASKLOOP_WORM_RETAIN_DAYS > 0 on S3, dataset manifests and audit exports also
land in the object-lock bucket, and nobody can delete them (SeaweedFS + PostgreSQL)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from helpers.videos import write_davis_layout
from minio.error import S3Error

from flows.cli.main import main
from flows.settings import Settings


@pytest.fixture()
def worm_env(cli_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("MASKLOOP_WORM_RETAIN_DAYS", "1")
    return cli_settings


def _delete_every_version(s3_client, bucket: str, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    errors = []
    for obj in s3_client.list_objects(bucket, prefix=key, include_version=True):
        try:
            s3_client.remove_object(bucket, obj.object_name, version_id=obj.version_id)
        except S3Error as exc:
            errors.append(exc.code)
    return errors


def test_manifest_and_audit_export_are_worm(  # type: ignore[no-untyped-def]
    worm_env: Settings, s3_client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = f"worm-{secrets.token_hex(3)}"
    root = write_davis_layout(tmp_path / "davis", {"alpha": 3}, width=48 + 8 * secrets.randbelow(500))
    assert main(["import", "davis", str(root), "--dataset", dataset, "--with-gt"]) == 0
    assert main(["dataset", "commit", dataset, "-m", "ground truth"]) == 0
    out = capsys.readouterr().out
    sha = out.split("manifest sha256 ")[1].split()[0]
    key = f"sha256/{sha[:2]}/{sha}"

    locked = s3_client.get_object(worm_env.s3_worm_bucket, key).read()
    plain = s3_client.get_object(worm_env.s3_bucket, key).read()
    assert locked == plain and len(locked) > 0
    assert s3_client.get_object_retention(worm_env.s3_worm_bucket, key).mode == "COMPLIANCE"
    assert _delete_every_version(s3_client, worm_env.s3_worm_bucket, key) == ["AccessDenied"]

    assert main(["audit", "export", "--out", str(tmp_path / "audit.jsonl")]) == 0
    out = capsys.readouterr().out
    head = out.split("head hash ")[1].split(";")[0].split()[0]
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["hash"] == head
    export_key = f"audit/exports/{head}.jsonl"
    assert f"s3://{worm_env.s3_worm_bucket}/{export_key}" in out
    assert s3_client.get_object(worm_env.s3_worm_bucket, export_key).read() == (tmp_path / "audit.jsonl").read_bytes()
    assert _delete_every_version(s3_client, worm_env.s3_worm_bucket, export_key) == ["AccessDenied"]
