"""The webhook app's real emit path delivers ``maskloop.review.submitted`` to a Prefect server.

Needs ``prefect`` in MASKLOOP_TEST_SERVICES (the default starts every service).
"""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from ls_receiver import wait_for

from flows.webhook_app import EVENT_NAME, WEBHOOK_PATH, create_app
from ui_adapters.webhook import WEBHOOK_SECRET_HEADER


def test_emit_reaches_prefect_server(stack) -> None:  # type: ignore[no-untyped-def]
    if stack.prefect_api_url is None:
        pytest.fail("this test needs prefect in MASKLOOP_TEST_SERVICES")
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    project_id = 700_000 + uuid.uuid4().int % 100_000
    body = {"action": "ANNOTATION_CREATED", "project": {"id": project_id}, "task": {"id": 5},
            "annotation": {"id": 6, "updated_at": "2026-11-21T10:00:00Z"}}
    with temporary_settings(updates={PREFECT_API_URL: stack.prefect_api_url}):
        client = TestClient(create_app(stack.webhook_secret))  # default emitter: prefect
        resp = client.post(WEBHOOK_PATH, content=json.dumps(body),
                           headers={WEBHOOK_SECRET_HEADER: stack.webhook_secret})
        assert resp.json() == {"status": "emitted"}
        EventsWorker.drain_all()
        resource = f"maskloop.labelstudio.project.{project_id}"
        flt = EventFilter(event=EventNameFilter(name=[EVENT_NAME]), resource=EventResourceFilter(id=[resource]))
        found: list = []

        def arrived() -> bool:
            with get_client(sync_client=True) as prefect:
                found[:] = prefect.read_events(filter=flt, limit=10).events
            return bool(found)

        assert wait_for(arrived, timeout=60)
    (event,) = found
    assert event.event == EVENT_NAME and event.resource.id == resource
    assert event.payload == {"project_id": project_id, "task_id": 5, "annotation_id": 6,
                             "action": "ANNOTATION_CREATED", "annotation_updated_at": "2026-11-21T10:00:00Z"}
