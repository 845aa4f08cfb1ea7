"""The catalog functions on an embedded SQLite file: videos, masklets, reviews, models, bad input
(storage.catalog.videos, masklets, reviews, registry; the Catalog itself is the connection)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storage.audit.query import audit_events
from storage.catalog.catalog import Catalog
from storage.catalog.masklets import (
    add_masklet,
    add_revision,
    list_masklets,
    masklet_revision_blob,
    set_masklet_status,
)
from storage.catalog.registry import model_version_id, register_model
from storage.catalog.reviews import add_review
from storage.catalog.synthetic import add_masklets, fake_sha, new_video
from storage.catalog.videos import (
    ensure_dataset,
    find_video,
    get_video,
    list_videos,
    register_video,
)
from storage.errors import ConflictError, InvalidInputError, NotFoundError, UnavailableError
from storage.records import blob_key
from storage.versions.members import get_version

WHO = {"actor": "alice", "role": "data_manager"}


@pytest.fixture()
def catalog(tmp_path):
    cat = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    yield cat
    cat.close()


def test_sqlite_auto_upgrades_on_first_open_and_reopens(tmp_path) -> None:
    from storage.migrations.runner import current_revision, head_revision

    url = f"sqlite:///{tmp_path / 'sub' / 'c.sqlite'}"
    with Catalog.open(url) as cat:
        assert current_revision(cat.engine) == head_revision()
        ensure_dataset(cat, "d", **WHO)
    with Catalog.open(url) as cat:
        assert ensure_dataset(cat, "d", **WHO) == 1


def test_unmigrated_catalog_without_auto_upgrade_says_run_db_upgrade(tmp_path) -> None:
    with pytest.raises(UnavailableError, match="maskloop db upgrade"):
        Catalog.open(f"sqlite:///{tmp_path / 'empty.sqlite'}", auto_upgrade=False)


def test_bad_urls_are_clear_errors(tmp_path) -> None:
    with pytest.raises(InvalidInputError):
        Catalog.open("not a url")
    with pytest.raises(InvalidInputError):
        Catalog.open("mysql://u@127.0.0.1/x")
    with pytest.raises(UnavailableError):
        Catalog.open("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_register_find_get_list_videos(catalog: Catalog) -> None:
    ref = register_video(catalog, new_video("surgery", "a"), **WHO)
    assert ref.id == 1 and ref.dataset == "surgery" and ref.n_frames == 30
    assert find_video(catalog, "surgery", ref.sha256) == ref
    assert find_video(catalog, "surgery", fake_sha("other")) is None
    assert get_video(catalog, ref.id) == ref
    assert [v.id for v in list_videos(catalog, "surgery")] == [ref.id]
    with pytest.raises(ConflictError, match="already ingested"):
        register_video(catalog, new_video("surgery", "a"), **WHO)
    with pytest.raises(NotFoundError, match="video 999"):
        get_video(catalog, 999)
    with pytest.raises(NotFoundError):
        list_videos(catalog, "nope")


def test_video_table_has_no_path_or_container_metadata_columns(catalog: Catalog) -> None:
    from storage.catalog.tables import Video

    columns = set(Video.__table__.columns.keys())
    assert not columns & {"path", "source_path", "filename", "creation_time", "location", "device", "encoder",
                          "title", "comment", "metadata"}


def test_bad_video_input_is_refused(catalog: Catalog) -> None:
    base = new_video("d", "x")
    for bad in (replace(base, sha256="abc"), replace(base, n_frames=0), replace(base, width=0),
                replace(base, fps=0.0), replace(base, dataset="../etc"), replace(base, source_frame_indices=(1, 2))):
        with pytest.raises(InvalidInputError):
            register_video(catalog, bad, **WHO)
    assert find_video(catalog, "d", base.sha256) is None


def test_masklet_revisions_status_and_listing(catalog: Catalog) -> None:
    video = register_video(catalog, new_video("d", "v"), **WHO)
    (mid,) = add_masklets(catalog, video.id, 1, status="proposed", **WHO)
    key1, sha1 = masklet_revision_blob(catalog, mid)
    sha2 = fake_sha("r2")
    assert add_revision(catalog, mid, blob_key=blob_key(sha2), blob_sha256=sha2, frame_indices=(3, 4),
                        scores=(1.0, 1.0), source="reviewer", **WHO) == 2
    assert masklet_revision_blob(catalog, mid) == (blob_key(sha2), sha2)
    assert masklet_revision_blob(catalog, mid, 1) == (key1, sha1)
    with pytest.raises(NotFoundError):
        masklet_revision_blob(catalog, mid, 7)
    set_masklet_status(catalog, mid, "accepted", **WHO)
    frame = list_masklets(catalog, dataset="d")
    assert frame.loc[0, ["masklet_id", "revision", "status", "frame_start", "frame_end"]].tolist() == [mid, 2, "accepted", 3, 4]
    assert list_masklets(catalog, status="proposed").empty
    assert len(list_masklets(catalog, video_id=video.id, origin="auto")) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"origin": "robot"},
        {"status": "done"},
        {"frame_indices": (2, 1, 3)},
        {"frame_indices": (0, 1)},
        {"scores": (0.5, 2.0, 0.1)},
        {"frame_indices": (0, 1, 99)},
        {"blob_sha256": "zz"},
        {"blob_key": "../../etc/passwd"},
        {"source": "magic"},
    ],
)
def test_bad_masklet_input_is_refused_and_stores_nothing(catalog: Catalog, change: dict) -> None:
    video = register_video(catalog, new_video("d", "v"), **WHO)
    sha = fake_sha("b")
    args = dict(video_id=video.id, origin="auto", blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(0, 1, 2),
                scores=(0.9, 0.8, 0.7), status="proposed", source="model", **WHO)
    with pytest.raises(InvalidInputError):
        add_masklet(catalog, **{**args, **change})
    assert list_masklets(catalog).empty
    assert audit_events(catalog, action="masklet.create").empty


def test_unknown_ids_name_the_id(catalog: Catalog) -> None:
    sha = fake_sha("b")
    with pytest.raises(NotFoundError, match="video 42"):
        add_masklet(catalog, video_id=42, origin="auto", blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(0,),
                    scores=(1.0,), status="proposed", source="model", **WHO)
    with pytest.raises(NotFoundError, match="masklet 43"):
        set_masklet_status(catalog, 43, "accepted", **WHO)
    with pytest.raises(NotFoundError, match="masklet 44"):
        add_revision(catalog, 44, blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(0,), scores=(1.0,),
                     source="reviewer", **WHO)


def test_reviews_are_idempotent_by_external_id(catalog: Catalog) -> None:
    video = register_video(catalog, new_video("d", "v"), **WHO)
    (mid,) = add_masklets(catalog, video.id, 1, status="in_review", **WHO)
    first = add_review(catalog, masklet_id=mid, revision=1, reviewer="bob", verdict="satisfactory", clicks=3,
                       seconds=12.5, external_id="ls-1", **WHO)
    again = add_review(catalog, masklet_id=mid, revision=1, reviewer="bob", verdict="satisfactory", clicks=3,
                       seconds=12.5, external_id="ls-1", **WHO)
    assert first == again
    assert len(audit_events(catalog, action="review.add")) == 1
    with pytest.raises(InvalidInputError):
        add_review(catalog, masklet_id=mid, revision=1, reviewer="bob", verdict="meh", **WHO)
    with pytest.raises(InvalidInputError):
        add_review(catalog, masklet_id=mid, revision=5, reviewer="bob", verdict="satisfactory", **WHO)


def test_models_get_consecutive_versions(catalog: Catalog) -> None:
    first, ref1 = register_model(catalog, name="seg", backend="sam2", uri="builtin:tiny", **WHO)
    second, ref2 = register_model(catalog, name="seg", backend="sam2", uri="models:/seg/2", **WHO)
    assert (ref1.version, ref2.version) == (1, 2)
    assert model_version_id(catalog, "seg", 2) == second != first
    with pytest.raises(ConflictError):
        register_model(catalog, name="seg", backend="sam2", uri="x", version=2, **WHO)
    with pytest.raises(NotFoundError):
        model_version_id(catalog, "seg", 9)


def test_auditor_role_and_missing_actor_cannot_write(catalog: Catalog) -> None:
    with pytest.raises(InvalidInputError, match="read-only"):
        ensure_dataset(catalog, "d", actor="eve", role="auditor")
    with pytest.raises(InvalidInputError, match="actor"):
        ensure_dataset(catalog, "d", actor=" ", role="admin")
    assert audit_events(catalog).empty


@pytest.mark.parametrize("evil", ["x'; DROP TABLE masklet; --", "\" OR 1=1 --", "a%' OR '1'='1"])
def test_sql_injection_strings_are_harmless(catalog: Catalog, evil: str) -> None:
    video = register_video(catalog, new_video("d", "v"), **WHO)
    add_masklets(catalog, video.id, 1, status="accepted", **WHO)
    with pytest.raises(InvalidInputError):
        ensure_dataset(catalog, evil, **WHO)
    with pytest.raises((InvalidInputError, NotFoundError)):
        get_version(catalog, f"{evil}@1")
    assert find_video(catalog, evil, video.sha256) is None
    assert audit_events(catalog, actor=evil, action=evil + "*", entity=evil).empty
    add_review(catalog, masklet_id=1, revision=1, reviewer=evil, verdict="satisfactory", external_id=evil, **WHO)
    assert len(list_masklets(catalog)) == 1
    assert audit_events(catalog, action="review.add")["details"].str.contains("DROP|OR", regex=True).all()


def test_migrations_match_the_table_definitions(catalog: Catalog) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with catalog.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata) == []


def test_downgrade_to_base_and_up_again(tmp_path) -> None:
    from alembic import command

    from storage.catalog.engine import make_engine
    from storage.migrations.runner import alembic_config, current_revision, head_revision, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    upgrade(engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert current_revision(engine) is None
    assert upgrade(engine) == head_revision()
    engine.dispose()


def test_a_catalog_from_a_newer_maskloop_is_refused_clearly(tmp_path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    Catalog.open(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(UnavailableError, match="unknown to this maskloop"):
        Catalog.open(url)
