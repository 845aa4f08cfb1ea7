"""Faults survived by the review path, on the real local stack (PostgreSQL + Label Studio):

- Label Studio unavailable during open review or sync: bounded retries with backoff, then one
  clear UnavailableError; nothing lost (reviews submitted before the outage are synced after it,
  tasks are imported once);
- the same webhook delivered 5 times (to fresh receivers, concurrently) and the same sync run
  twice: exactly one review, through the catalog's ``add_review`` idempotency by external id.

The sync here is the adapter's ``fetch_reviews`` followed by ``storage.catalog.reviews.add_review(catalog, external_id=...)``
(what flows/cycle/review.py does, without its refinement step). Run:
MASKLOOP_TEST_SERVICES=postgres,s3,label-studio pytest tests/func/faults
"""

from __future__ import annotations

import json
import logging
import secrets
import threading

import pytest
from fastapi.testclient import TestClient
from helpers.label_studio import make_masklet, verdict_result
from label_studio_sdk import LabelStudio

from flows.webhook_app import WEBHOOK_PATH, create_app
from storage.audit.query import audit_events
from storage.audit.verify import verify_audit
from storage.catalog.catalog import Catalog
from storage.catalog.reviews import add_review
from storage.catalog.synthetic import add_masklets, new_video
from storage.catalog.videos import register_video
from ui_adapters.errors import NotFoundError, UnavailableError
from ui_adapters.label_studio_ui import LabelStudioReviewUI
from ui_adapters.records import ReviewProject, ReviewRound, WebhookEvent
from ui_adapters.retry import call_with_retries
from ui_adapters.webhook import WEBHOOK_SECRET_HEADER

WHO = {"actor": "faults", "role": "data_manager"}


def _catalog_masklets(pg_url: str, n: int) -> list[int]:
    with Catalog.open(pg_url, auto_upgrade=True) as catalog:
        video = register_video(catalog, new_video("d", secrets.token_hex(4)), **WHO)
        return add_masklets(catalog, video.id, n, status="in_review", **WHO)


def _round() -> ReviewRound:
    return ReviewRound(round_id=secrets.randbelow(10**8) + 10**6, title="faults")


def _tasks(client: LabelStudio, project_id: int) -> dict[tuple[int, int], dict]:
    tasks = [t.model_dump(mode="json") for t in client.tasks.list(project=project_id, fields="all")]
    out: dict[tuple[int, int], dict] = {}
    for task in tasks:
        key = (task["data"]["masklet_id"], task["data"]["revision"])
        assert key not in out, f"task {key} imported twice"
        out[key] = task
    return out


def sync(catalog: Catalog, ui: LabelStudioReviewUI, project: ReviewProject) -> int:
    """Record every review of the project; returns how many review rows the catalog gained."""
    before = len(_reviews(catalog))
    for review in ui.fetch_reviews(project=project).reviews:
        add_review(catalog, masklet_id=review.masklet_id, revision=review.revision, verdict=str(review.verdict),
                   reviewer=review.reviewer_email or "?", external_id=review.external_id, **WHO)
    return len(_reviews(catalog)) - before


def _reviews(catalog: Catalog) -> list[tuple[int, str]]:
    import sqlalchemy as sa

    with catalog.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT masklet_id, external_id FROM review ORDER BY id")).all()
    return [(int(m), str(e)) for m, e in rows]


# ------------------------------------------------------------------------------ the retry component
def test_retries_back_off_then_succeed() -> None:
    calls, waits = [0], []

    def flaky() -> str:
        calls[0] += 1
        if calls[0] < 3:
            raise UnavailableError("Label Studio at http://x is unreachable")
        return "ok"

    assert call_with_retries(flaky, what="fetching reviews", attempts=4, backoff_s=0.5, sleep=waits.append) == "ok"
    assert calls[0] == 3 and waits == [0.5, 1.0]


def test_retries_are_bounded_and_only_for_unavailable() -> None:
    waits: list[float] = []

    def down() -> None:
        raise UnavailableError("Label Studio at http://x is unreachable during listing projects")

    with pytest.raises(UnavailableError, match=r"unreachable .*gave up opening the review after 3 attempts"):
        call_with_retries(down, what="opening the review", attempts=3, backoff_s=0.1, sleep=waits.append)
    assert waits == [0.1, 0.2]

    def missing() -> None:
        raise NotFoundError("no such project")

    with pytest.raises(NotFoundError):
        call_with_retries(missing, what="x", attempts=3, backoff_s=0.1, sleep=waits.append)
    assert waits == [0.1, 0.2]  # not retried


# ------------------------------------------------------------------------------ Label Studio down
@pytest.mark.parametrize("repeat", [pytest.param(i, id=f"run{i + 1}") for i in range(3)])
def test_label_studio_down_during_open_and_sync_retries_then_fails_clearly_and_loses_nothing(
        stack, pg_url, services, label_studio_client, caplog, repeat) -> None:  # type: ignore[no-untyped-def]
    client = label_studio_client
    m1, m2, m3 = _catalog_masklets(pg_url, 3)
    ui = LabelStudioReviewUI(url=stack.label_studio_url, token=stack.label_studio_token, retries=3,
                             retry_backoff_s=0.2, timeout=10.0)
    rnd = _round()
    first = [make_masklet(m1, 3), make_masklet(m2, 3)]
    project = ui.open_review(round=rnd, masklets=first, max_frames=8)
    tasks = _tasks(client, project.project_id)
    client.annotations.create(id=tasks[(m1, 1)]["id"], result=[verdict_result("satisfactory")])
    with Catalog.open(pg_url) as catalog:
        assert sync(catalog, ui, project) == 1
    # reviewed in Label Studio, not synced yet when the server goes away
    client.annotations.create(id=tasks[(m2, 1)]["id"], result=[verdict_result("ill-defined")])
    services.stop("label-studio")
    caplog.clear()
    caplog.set_level(logging.WARNING, logger="ui_adapters.retry")
    with pytest.raises(UnavailableError) as opened:
        ui.open_review(round=rnd, masklets=[*first, make_masklet(m3, 3)], max_frames=8)
    assert "unreachable" in str(opened.value) and "gave up opening the review after 3 attempts" in str(opened.value)
    assert "\n" not in str(opened.value)
    with Catalog.open(pg_url) as catalog:
        with pytest.raises(UnavailableError, match="gave up fetching reviews after 3 attempts"):
            sync(catalog, ui, project)
        assert len(_reviews(catalog)) == 1
    retries = [r for r in caplog.records if r.name == "ui_adapters.retry"]
    assert len(retries) == 4  # 2 retries for the open, 2 for the sync
    assert stack.label_studio_token not in caplog.text
    services.restore()
    # back: the same calls complete; nothing imported twice, nothing lost
    again = ui.open_review(round=rnd, masklets=[*first, make_masklet(m3, 3)], max_frames=8)
    assert again.project_id == project.project_id and again.task_count == 3
    assert sorted(_tasks(client, project.project_id)) == [(m1, 1), (m2, 1), (m3, 1)]
    with Catalog.open(pg_url) as catalog:
        assert sync(catalog, ui, project) == 1
        assert sorted(m for m, _ in _reviews(catalog)) == [m1, m2]
        assert verify_audit(catalog).ok


# ------------------------------------------------------------------------------ replays
@pytest.mark.parametrize("repeat", [pytest.param(i, id=f"run{i + 1}") for i in range(3)])
def test_a_webhook_delivered_five_times_and_a_sync_run_twice_record_one_review(
        stack, pg_url, label_studio_client, repeat) -> None:  # type: ignore[no-untyped-def]
    client = label_studio_client
    (mid,) = _catalog_masklets(pg_url, 1)
    ui = LabelStudioReviewUI(url=stack.label_studio_url, token=stack.label_studio_token)
    project = ui.open_review(round=_round(), masklets=[make_masklet(mid, 3)], max_frames=8)
    task = _tasks(client, project.project_id)[(mid, 1)]
    annotation = client.annotations.create(id=task["id"], result=[verdict_result("satisfactory")])
    payload = json.dumps({"action": "ANNOTATION_CREATED", "project": {"id": project.project_id},
                          "task": {"id": task["id"]},
                          "annotation": {"id": annotation.id, "updated_at": str(annotation.updated_at)}})
    headers = {WEBHOOK_SECRET_HEADER: stack.webhook_secret}
    with Catalog.open(pg_url) as catalog:
        synced: list[int] = []
        lock = threading.Lock()

        def on_event(event: WebhookEvent) -> None:  # what the triggered flow does: a sync
            assert event.project_id == project.project_id and event.annotation_id == annotation.id
            n = sync(catalog, ui, project)
            with lock:
                synced.append(n)

        # 5 deliveries of the same webhook to 5 fresh receivers (a restarted receiver forgets what
        # it saw), concurrently: the catalog is what makes them idempotent
        statuses: list[int] = []

        def deliver() -> None:
            with TestClient(create_app(stack.webhook_secret, emit=on_event)) as receiver:
                statuses.append(receiver.post(WEBHOOK_PATH, content=payload, headers=headers).status_code)

        threads = [threading.Thread(target=deliver) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert statuses == [200] * 5 and len(synced) == 5
        # and 5 deliveries to one receiver: the first emits, the rest are duplicates
        with TestClient(create_app(stack.webhook_secret, emit=on_event)) as receiver:
            replies = [receiver.post(WEBHOOK_PATH, content=payload, headers=headers).json()["status"]
                       for _ in range(5)]
        assert replies == ["emitted"] + ["duplicate"] * 4
        assert len(synced) == 6
        (review,) = _reviews(catalog)
        assert review[0] == mid and review[1].startswith(f"label-studio:{project.project_id}:{annotation.id}:")
        # the same sync run twice more: nothing new
        assert sync(catalog, ui, project) == 0 and sync(catalog, ui, project) == 0
        assert _reviews(catalog) == [review]
        assert audit_events(catalog, action="review.add").shape[0] == 1
        assert verify_audit(catalog).ok
