"""Frames served by Label Studio's own S3 storage (s3:// URLs, presigned on access).

Needs ``label-studio`` and ``s3`` in MASKLOOP_TEST_SERVICES (the default starts every service).
"""

from __future__ import annotations

import io
import uuid

import httpx
import numpy as np
import pytest
from helpers.label_studio import make_masklet
from PIL import Image

from ui_adapters.label_studio_ui import LabelStudioReviewUI
from ui_adapters.records import MaskletForReview, ReviewRound, S3FrameStorage


def test_s3_frame_urls_resolve_through_label_studio(stack, s3_client) -> None:  # type: ignore[no-untyped-def]
    if stack.label_studio_url is None:
        pytest.fail("this test needs label-studio in MASKLOOP_TEST_SERVICES")
    bucket = stack.s3_bucket
    if not s3_client.bucket_exists(bucket):
        s3_client.make_bucket(bucket)
    prefix = f"frames/{uuid.uuid4().hex}"
    png = io.BytesIO()
    Image.fromarray(np.full((24, 32, 3), 200, np.uint8)).save(png, format="PNG")
    for k in range(2):
        s3_client.put_object(bucket, f"{prefix}/{k}.png", io.BytesIO(png.getvalue()), len(png.getvalue()),
                             content_type="image/png")
    base = make_masklet(1, 2)
    masklet = MaskletForReview(masklet_id=1, revision=1, video_label="v", frame_indices=base.frame_indices,
                               frame_urls=tuple(f"s3://{bucket}/{prefix}/{k}.png" for k in range(2)),
                               masks=base.masks, scores=base.scores, model_version=base.model_version)
    storage = S3FrameStorage(bucket=bucket, endpoint=f"http://{stack.s3_endpoint}", access_key=stack.s3_access_key,
                             secret_key=stack.s3_secret_key, region=stack.s3_region)
    assert stack.s3_secret_key not in repr(storage)
    ui = LabelStudioReviewUI(url=stack.label_studio_url, token=stack.label_studio_token, frame_storage=storage)
    round_ = ReviewRound(round_id=int(uuid.uuid4().int % 10**6) + 10**6, title="s3 frames")
    project = ui.open_review(round=round_, masklets=[masklet], max_frames=8)
    ui.open_review(round=round_, masklets=[masklet], max_frames=8)  # storage is attached once
    auth = {"Authorization": f"Token {stack.label_studio_token}"}
    with httpx.Client(base_url=stack.label_studio_url, headers=auth, timeout=30) as http:
        storages = http.get("/api/storages/s3", params={"project": project.project_id}).json()
        assert [s["bucket"] for s in storages] == [bucket]
        tasks = http.get("/api/tasks", params={"project": project.project_id, "resolve_uri": True}).json()
        (task,) = tasks["tasks"]
        frames = task["data"]["frames"]
        assert len(frames) == 2 and all("/resolve/?fileuri=" in f for f in frames)
        resp = http.get(frames[1], follow_redirects=True)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("image/png")
    assert resp.content == png.getvalue()
