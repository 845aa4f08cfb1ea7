"""`maskloop ingest` on the real stack (PostgreSQL catalog + SeaweedFS S3): frames in S3,
idempotent repeats, bad paths reported while the others go in, and no identifying metadata in any
S3 object, object metadata or catalog row."""

from __future__ import annotations

import secrets
from pathlib import Path

import psycopg
import pytest
from helpers.videos import SECRET_TAGS, frame_number, write_numbered_video
from minio import Minio

from flows.cli.main import main
from storage.catalog.catalog import Catalog
from storage.catalog.videos import list_videos
from storage.media.jpeg import decode_jpeg
from storage.records import frame_key


@pytest.fixture()
def env(stack, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    """Point the CLI at the stack (env vars, as a user would) with a fresh migrated catalog."""
    Catalog.open(pg_url, auto_upgrade=True).close()
    values = {"HOME": str(tmp_path / "home"), "DATABASE_URL": pg_url, "S3_ENDPOINT": stack.s3_endpoint,
              "S3_ACCESS_KEY": stack.s3_access_key, "S3_SECRET_KEY": stack.s3_secret_key,
              "S3_REGION": stack.s3_region, "S3_BUCKET": stack.s3_bucket, "S3_WORM_BUCKET": stack.s3_worm_bucket,
              "ACTOR": "stack-tester"}
    for name, value in values.items():
        monkeypatch.setenv(f"MASKLOOP_{name}", value)
    monkeypatch.delenv("MASKLOOP_STACK_DIR", raising=False)
    return pg_url


def _minio(stack) -> Minio:  # type: ignore[no-untyped-def]
    return Minio(stack.s3_endpoint, access_key=stack.s3_access_key, secret_key=stack.s3_secret_key,
                 secure=False, region=stack.s3_region)


def test_ingest_to_s3_and_postgres_is_idempotent(stack, env: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    clip = write_numbered_video(tmp_path / f"clip-{secrets.token_hex(3)}.mp4", n_frames=40, fps=24,
                                width=160 + 16 * secrets.randbelow(4))
    bad = tmp_path / "empty.mov"
    bad.write_bytes(b"")
    assert main(["ingest", str(bad), str(clip), "--dataset", "func-ingest", "--fps", "6"]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == "error: not a readable video: empty.mov (empty file)"
    assert f"ingested: {clip.name} -> video 1, 10 frames" in out
    with Catalog.open(env) as catalog:
        [video] = list_videos(catalog, "func-ingest")
    client = _minio(stack)
    for k in range(10):
        data = client.get_object(stack.s3_bucket, frame_key(video.sha256, k)).read()
        assert frame_number(decode_jpeg(data)) == 4 * k
    assert main(["ingest", str(clip), "--dataset", "func-ingest"]) == 0
    assert capsys.readouterr().out.strip() == f"already ingested: {clip.name} (video 1)"
    with Catalog.open(env) as catalog:
        assert len(list_videos(catalog, "func-ingest")) == 1


def test_no_identifying_metadata_reaches_s3_or_postgres(  # type: ignore[no-untyped-def]
    stack, env: str, tmp_path: Path
) -> None:
    folder = tmp_path / "Ward-7-Secret-Folder"
    folder.mkdir()
    clip = write_numbered_video(folder / f"Jane-Doe-{secrets.token_hex(3)}.mov", n_frames=30, fps=25,
                                height=96 + 16 * secrets.randbelow(4), metadata=SECRET_TAGS)
    assert main(["ingest", str(clip), "--dataset", "func-deid"]) == 0
    needles = sorted(set(SECRET_TAGS.values()) | {clip.name, folder.name, "Jane-Doe", "2019-07-14", "48.8577"})
    with Catalog.open(env) as catalog:
        [video] = list_videos(catalog, "func-deid")
    client = _minio(stack)
    keys = [o.object_name for o in client.list_objects(stack.s3_bucket, prefix=f"videos/{video.sha256}/",
                                                        recursive=True)]
    assert len(keys) == video.n_frames == 7
    for key in keys:
        data = client.get_object(stack.s3_bucket, key).read()
        meta = str(dict(client.stat_object(stack.s3_bucket, key).metadata))
        for needle in needles:
            assert needle.encode() not in data and needle not in meta and needle not in key
    with psycopg.connect(env.replace("postgresql+psycopg://", "postgresql://")) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        dump = "\n".join(str(conn.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    assert video.sha256 in dump
    for needle in needles:
        assert needle not in dump
