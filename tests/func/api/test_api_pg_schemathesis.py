"""Property-based run of schemathesis against /openapi.json on PostgreSQL (auditor connection):
positive and negative cases for every operation, with a valid admin token, and none is a 5xx.
Bounded to MAX_EXAMPLES generated requests (about a minute on 2 CPU cores)."""

from __future__ import annotations

import collections

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from flows.api.app import create_app

MAX_EXAMPLES = 1500


def test_no_generated_request_is_a_server_error(pg_world) -> None:
    from storage.audit.verify import verify_audit
    auth = {"Authorization": f"Bearer {pg_world.tokens['admin']}"}
    before = verify_audit(pg_world.owner).n_events
    statuses: collections.Counter[int] = collections.Counter()
    with TestClient(create_app(pg_world.settings)) as client:
        schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        cases = st.one_of(schema.as_strategy(GenerationMode.POSITIVE, headers=auth),
                          schema.as_strategy(GenerationMode.NEGATIVE, headers=auth))

        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=cases)
        def call(case) -> None:
            response = case.call()
            statuses[response.status_code] += 1
            assert response.status_code < 500, (case.method, case.formatted_path, case.query,
                                                response.status_code, response.text[:300])

        call()
    print(f"schemathesis: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}")
    assert statuses[200] > 0 and sum(n for s, n in statuses.items() if 400 <= s < 500) > 0
    check = verify_audit(pg_world.owner)
    assert check.ok and check.n_events >= before + sum(statuses.values())
