"""`maskloop ingest`, `import davis`, `import sav` and `dataset export` on the embedded defaults
(SQLite catalog + LocalStore under --home), run as a user would through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.videos import write_davis_layout, write_numbered_video

import flows.cli.dataset_export_cmd  # noqa: F401  (registers `dataset export` until groups.py imports it)
from flows.cli.main import main
from storage.catalog.catalog import Catalog
from storage.catalog.masklets import list_masklets
from storage.catalog.videos import find_video, list_videos
from storage.errors import NotFoundError
from storage.versions.commit import commit_version


@pytest.fixture(autouse=True)
def _embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MASKLOOP_DATABASE_URL", "MASKLOOP_S3_ENDPOINT", "MASKLOOP_STACK_DIR", "MASKLOOP_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MASKLOOP_ACTOR", "cli-tester")


def test_ingest_reports_each_path_and_keeps_the_good_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    good = write_numbered_video(tmp_path / "good.mp4", n_frames=30, fps=25)
    other = write_numbered_video(tmp_path / "other.mkv", n_frames=12, fps=24)
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00garbage" * 64)
    code = main(["--home", str(home), "ingest", str(good), str(bad), str(other), "--dataset", "d", "--fps", "6"])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.strip().splitlines() == ["error: not a readable video: broken.mp4 (unknown or damaged container)"]
    assert "ingested: good.mp4 -> video 1, 7 frames 160x96 at 6 fps" in out
    assert "ingested: other.mkv -> video 2, 3 frames" in out
    assert "Traceback" not in out + err
    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as catalog:
        assert [v.n_frames for v in list_videos(catalog, "d")] == [7, 3]

    assert main(["--home", str(home), "ingest", str(good), "--dataset", "d"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "already ingested: good.mp4 (video 1)" and err == ""


def test_bad_input_only_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    clip = write_numbered_video(tmp_path / "c.mp4", n_frames=5)
    assert main(["--home", str(home), "ingest", str(clip), "--dataset", "bad name!"]) == 2
    assert capsys.readouterr().err.startswith("error: invalid dataset name 'bad name!'")
    (tmp_path / "empty.mkv").write_bytes(b"")
    assert main(["--home", str(home), "ingest", str(tmp_path / "empty.mkv"), "--dataset", "d"]) == 2
    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as catalog:
        assert list_masklets(catalog).empty
        with pytest.raises(NotFoundError):
            list_videos(catalog, "d")
    assert not (home / "objects").exists() or not any((home / "objects").rglob("*.jpg"))


def test_ingest_missing_path_is_not_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--home", str(tmp_path / "h"), "ingest", str(tmp_path / "nope.mp4"), "--dataset", "d"])
    assert code == 3
    assert capsys.readouterr().err.startswith("error: no such file or folder:")


def test_import_davis_then_commit_then_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    root = write_davis_layout(tmp_path / "davis", {"alpha": 4, "beta": 3})
    assert main(["--home", str(home), "import", "davis", str(root), "--dataset", "dv", "--with-gt"]) == 0
    out = capsys.readouterr().out
    assert "imported: alpha -> video 1, 4 frames, 2 ground-truth masklets" in out
    assert "imported: beta -> video 2, 3 frames, 2 ground-truth masklets" in out
    assert main(["--home", str(home), "import", "davis", str(root), "--dataset", "dv", "--with-gt"]) == 0
    assert capsys.readouterr().out.count("already ingested:") == 2

    from storage.objects.local_store import LocalStore

    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as catalog:
        commit_version(catalog, "dv", message="gt", actor="t", role="data_manager",
                       manifest_writer=LocalStore(home / "objects").put_blob)
    out_dir = tmp_path / "export"
    assert main(["--home", str(home), "dataset", "export", "dv@1", str(out_dir), "--format", "coco"]) == 0
    assert "exported dv@1 as coco" in capsys.readouterr().out
    doc = json.loads((out_dir / "annotations.json").read_text())
    assert len(doc["images"]) == 7 and len(doc["videos"]) == 2
    assert main(["--home", str(home), "dataset", "export", "dv@1", str(out_dir), "--format", "coco"]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert main(["--home", str(home), "dataset", "export", "dv@9", str(tmp_path / "e2")]) == 3


def test_import_sav_cli_refuses_a_mismatched_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = write_numbered_video(tmp_path / "v.mp4", n_frames=8, fps=24)
    (tmp_path / "a.json").write_text(json.dumps({"masklet": [[{"size": [10, 10], "counts": "0d1"}]]}))
    code = main(["--home", str(tmp_path / "h"), "import", "sav", str(tmp_path / "a.json"), "--video", str(video),
                 "--dataset", "s"])
    assert code == 2
    expected = "error: a.json: frame 0, object 0: RLE counts cover 52 pixels but size 10x10 has 100\n"
    assert capsys.readouterr().err == expected


def test_services_build_the_configured_store_and_catalog(tmp_path: Path) -> None:
    from flows.services import actor_of, object_store, open_catalog
    from flows.settings import Settings
    from storage.objects.local_store import LocalStore
    from storage.objects.s3_store import S3Store

    local = Settings(_env_file=None, home=tmp_path / "h", actor="alice")  # type: ignore[call-arg]
    store = object_store(local)
    assert isinstance(store, LocalStore) and store.root == (tmp_path / "h" / "objects").resolve()
    assert actor_of(local) == "alice"
    with open_catalog(local) as catalog:
        assert find_video(catalog, "d", "0" * 64) is None
    assert (tmp_path / "h" / "catalog.sqlite").is_file()
    remote = Settings(_env_file=None, home=tmp_path, s3_endpoint="127.0.0.1:9", s3_access_key="ak",  # type: ignore[call-arg]
                      s3_secret_key="sk", s3_bucket="frames", s3_worm_bucket="frames-worm")
    s3 = object_store(remote)
    assert isinstance(s3, S3Store) and (s3.endpoint, s3.bucket, s3.object_lock_bucket) == (
        "127.0.0.1:9", "frames", "frames-worm")
    assert actor_of(Settings(_env_file=None, home=tmp_path))  # type: ignore[call-arg]  # the OS user


def test_unreachable_s3_is_one_line_exit_5_and_nothing_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MASKLOOP_S3_ENDPOINT", "127.0.0.1:1")  # nothing listens on port 1
    monkeypatch.setenv("MASKLOOP_S3_ACCESS_KEY", "ak")
    monkeypatch.setenv("MASKLOOP_S3_SECRET_KEY", "sk")
    home = tmp_path / "home"
    clip = write_numbered_video(tmp_path / "c.mp4", n_frames=10)
    other = write_numbered_video(tmp_path / "d.mp4", n_frames=12)
    assert main(["--home", str(home), "ingest", str(clip), str(other), "--dataset", "d"]) == 5
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: c.mp4: S3 server 127.0.0.1:1 is unreachable")
    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as catalog, pytest.raises(NotFoundError):
        list_videos(catalog, "d")
