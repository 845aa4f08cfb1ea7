"""Bad inputs tried on the real stack (PostgreSQL catalog + S3 object store): the rows of
tests/unit/test_bad_inputs.py whose behaviour depends on the services -- SQL injection, NUL and
LIKE wildcards in every CLI filter against PostgreSQL, hostile object keys on the S3 server,
missing version references, a NUL in a commit message, a corrupt video ingested into S3.

After each row: same row counts in every catalog table, the audit chain verifies with the same
head, the same object keys in the bucket, and the next valid operation (a dataset commit of a newly
accepted masklet... here: ingesting a new frame folder) succeeds.
Run: MASKLOOP_TEST_SERVICES=postgres,s3 pytest tests/func/test_bad_inputs_stack.py
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers.videos import write_davis_layout, write_frame_folder

from flows.cli.main import main
from storage.audit.verify import verify_audit
from storage.catalog.catalog import Catalog
from storage.catalog.videos import list_videos
from storage.errors import StorageError
from storage.objects.s3_store import S3Store

INJECT = "' OR '1'='1'; DROP TABLE masklet; --"


@dataclass
class World:
    url: str
    env: dict[str, str]
    store: S3Store
    root: Path
    counter: list[int]


@pytest.fixture(scope="module")
def world(stack, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    import psycopg
    from psycopg import sql

    name = f"badinputs_{secrets.token_hex(6)}"
    admin = {"host": stack.host, "port": stack.postgres_port, "user": "postgres",
             "password": stack.postgres_password, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = stack.postgres_url_for(name)
    root = tmp_path_factory.mktemp("bad-inputs-stack")
    env = {k: v for k, v in stack.env.items() if k.startswith("MASKLOOP_")}
    env.update({"MASKLOOP_DATABASE_URL": url, "MASKLOOP_HOME": str(root / "home"),
                "MASKLOOP_STACK_DIR": str(root / "nostack"), "MASKLOOP_ACTOR": "bad-input-tester",
                "MASKLOOP_ROLE": "data_manager"})
    store = S3Store(stack.s3_endpoint, access_key=stack.s3_access_key, secret_key=stack.s3_secret_key,
                    bucket=stack.s3_bucket, region=stack.s3_region)
    try:
        with Catalog.open(url, auto_upgrade=True):
            pass
        yield World(url=url, env=env, store=store, root=root, counter=[0])
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture()
def cli(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    for key, value in world.env.items():
        monkeypatch.setenv(key, value)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        if code != 0 and err.startswith("error:"):
            assert len(err.strip().splitlines()) == 1, err
        return code, out, err
    return run


@pytest.fixture()
def seeded(world: World, cli: Cli) -> World:
    """demo@1 from a DAVIS import with ground truth (once per module)."""
    if world.counter[0] == 0:
        world.counter[0] = 1
        # unique frames per module run: the bucket is shared with earlier runs on this stack
        davis = write_davis_layout(world.root / "davis", {f"s{secrets.token_hex(3)}": 3})
        assert cli("import", "davis", str(davis), "--dataset", "demo", "--with-gt")[0] == 0
        assert cli("dataset", "commit", "demo", "-m", "seed")[0] == 0
    return world


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    head: str | None
    ok: bool
    keys: tuple[str, ...]


def snapshot(world: World) -> Snapshot:
    with Catalog.open(world.url) as catalog:
        names = sa.inspect(catalog.engine).get_table_names()
        with catalog.engine.connect() as conn:
            counts = {t: int(conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in names}
        check = verify_audit(catalog)
    return Snapshot(counts, check.head_hash, check.ok, tuple(world.store.list_keys("")))


def events(*filters: str):
    def run(w: World, cli: Cli) -> tuple[int, str]:
        code, out, err = cli("audit", "show", *filters, "-f", "json")
        return code, (f"{len(json.loads(out))} events" if code == 0 else err)
    return run


def cmd(*args: str):
    def run(w: World, cli: Cli) -> tuple[int, str]:
        code, out, err = cli(*args)
        return code, err if code else out
    return run


def s3_key(key: str):
    def run(w: World, cli: Cli) -> tuple[int, str]:
        try:
            w.store.put_bytes(key, b"payload")
            return 0, w.store.get_bytes(key).decode()
        except StorageError as exc:
            return exc.exit_code, str(exc)
    return run


def corrupt_video(w: World, cli: Cli) -> tuple[int, str]:
    path = w.root / f"corrupt-{secrets.token_hex(3)}.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    code, _out, err = cli("ingest", str(path), "--dataset", "demo")
    return code, err


@dataclass(frozen=True)
class Case:
    kind: str
    run: Callable[[World, Cli], tuple[int, str]]
    code: int
    fragment: str
    valid: bool = False
    prepare: Callable[[World], None] | None = None  # run before the "before" snapshot


def pending_change(w: World) -> None:
    """One newly accepted masklet, so that a commit has something to commit."""
    from storage.catalog.synthetic import add_masklets

    with Catalog.open(w.url) as catalog:
        video = list_videos(catalog, "demo")[0]
        add_masklets(catalog, video.id, 1, status="accepted", tag=secrets.token_hex(4),
                     actor="bad-input-tester", role="data_manager")


CASES = [
    Case("PG: SQL injection in audit --actor", events("--actor", INJECT), 0, "0 events"),
    Case("PG: SQL injection in audit --action", events("--action", "version.commit" + INJECT), 0, "0 events"),
    Case("PG: SQL injection in audit --entity", events("--entity", "dataset:1" + INJECT), 0, "0 events"),
    Case("PG: LIKE wildcard % in audit --entity", events("--entity", "%"), 0, "0 events"),
    Case("PG: LIKE wildcard _ in audit --action prefix", events("--action", "_ersion.*"), 0, "0 events"),
    Case("PG: NUL in audit --actor", events("--actor", "alice\x00"), 2, "cannot contain NUL"),
    Case("PG: NUL in dataset list", cmd("dataset", "list", "demo\x00"), 2, "cannot contain NUL"),
    Case("PG: SQL injection in dataset list", cmd("dataset", "list", "demo" + INJECT), 3, "not found"),
    Case("PG: SQL injection in dataset show", cmd("dataset", "show", "demo@1" + INJECT), 2, "expected NAME@N"),
    Case("PG: SQL injection in lineage dataset", cmd("lineage", "dataset", "demo@1 OR 1=1"), 2, "expected NAME@N"),
    Case("PG: SQL injection in lineage model", cmd("lineage", "model", "m'--@1"), 2, "invalid model"),
    Case("PG: video id beyond 32 bits", cmd("lineage", "video", "99999999999"), 3, "not found"),
    Case("PG: missing dataset version", cmd("dataset", "show", "demo@99"), 3, "demo@99"),
    Case("PG: diff to a missing version", cmd("dataset", "diff", "demo@1", "demo@42"), 3, "demo@42"),
    Case("PG+S3: NUL in a commit message", cmd("dataset", "commit", "demo", "-m", "fix\x00"), 2, "NUL",
         prepare=pending_change),
    Case("S3: corrupt video ingested", corrupt_video, 2, "not a readable video"),
    Case("S3 key: path traversal", s3_key("videos/../../etc/passwd"), 2, "path traversal"),
    Case("S3 key: NUL", s3_key("videos/a\x00b"), 2, "control character"),
    Case("S3 key: very long", s3_key("k/" + "x" * 1100), 2, "longer than 1024 bytes"),
    Case("S3 key: unicode (valid)", s3_key(f"hostile/vidéo-🎞-{secrets.token_hex(3)}/ünï.bin"), 0, "payload",
         valid=True),
]


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_bad_input_on_the_stack(case: Case, seeded: World, cli: Cli) -> None:
    if case.prepare is not None:
        case.prepare(seeded)
    before = snapshot(seeded)
    code, text = case.run(seeded, cli)
    assert code == case.code, text
    assert case.fragment in text
    after = snapshot(seeded)
    assert after.ok
    if case.valid:
        assert after.counts == before.counts and after.head == before.head
        assert set(before.keys) < set(after.keys)
    else:
        assert after == before
    # the next valid operation succeeds
    seeded.counter[0] += 1
    folder = seeded.root / f"next{seeded.counter[0]}" / "clip"
    write_frame_folder(folder, n_frames=2, width=16, height=16, start=secrets.randbelow(900))
    code, out, err = cli("ingest", str(folder), "--dataset", "demo")
    assert code == 0 and ("ingested: clip" in out or "already ingested" in out), err
