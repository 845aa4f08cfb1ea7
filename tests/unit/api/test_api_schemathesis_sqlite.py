"""schemathesis against /openapi.json on the embedded SQLite catalog: no generated request is a 5xx.
(The longer run on PostgreSQL is tests/func/api/test_api_pg_schemathesis.py.)"""

from __future__ import annotations

import collections

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode


def test_no_generated_request_is_a_server_error(client, world) -> None:
    from storage.audit.verify import verify_audit
    auth = world.auth("auditor")
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    cases = st.one_of(schema.as_strategy(GenerationMode.POSITIVE, headers=auth),
                      schema.as_strategy(GenerationMode.NEGATIVE, headers=auth))
    statuses: collections.Counter[int] = collections.Counter()

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=cases)
    def call(case) -> None:
        response = case.call()
        statuses[response.status_code] += 1
        assert response.status_code < 500, (case.method, case.formatted_path, case.query, response.text[:300])

    call()
    assert statuses[200] > 0 and sum(n for s, n in statuses.items() if 400 <= s < 500) > 0
    assert verify_audit(world.catalog).ok
