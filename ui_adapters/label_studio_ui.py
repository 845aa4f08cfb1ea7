"""Label Studio implementation of :class:`ui_adapters.review_ui.ReviewUI`.

One project per annotation round (title ``maskloop r<round_id>: <title>``), one task per
masklet revision (see :mod:`ui_adapters.task_builder`), created by the service account whose
token is passed in. The project's task list opens on a view "to review" (:data:`REVIEW_VIEW`):
columns video, masklet, revision, frames, lowest score, status and the first frame as a
thumbnail, the raw per-frame lists hidden, only tasks still to decide, lowest score first. A refined
revision supersedes its predecessor: the old task's ``review_status`` becomes "superseded by rev N",
so it leaves that view (the second view, "all tasks", keeps it). Webhooks (ANNOTATION_CREATED / ANNOTATION_UPDATED, with the shared secret in
the ``X-Maskloop-Webhook-Secret`` header) are registered when ``webhook_url`` is given.
The token is handed to the SDK client only; it is never stored elsewhere, logged or put in errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from typing import Any

from label_studio_sdk import LabelStudio

from ui_adapters.annotation_parser import (
    UI_NAME,
    is_objects_task,
    parse_annotation,
    parse_objects_annotation,
)
from ui_adapters.errors import InvalidInputError
from ui_adapters.label_config import DEFAULT_LABEL, build_label_config, review_instructions
from ui_adapters.ls_errors import label_studio_errors
from ui_adapters.records import (
    DrawnObject,
    MaskletForReview,
    ObjectBatch,
    RejectedAnnotation,
    Review,
    ReviewBatch,
    ReviewProject,
    ReviewRound,
    S3FrameStorage,
    VideoForObjects,
)
from ui_adapters.retry import retried
from ui_adapters.task_builder import OBJECTS_KIND, TO_REVIEW, masklet_to_task, video_to_objects_task
from ui_adapters.task_importer import DEFAULT_BATCH_SIZE, DEFAULT_MAX_BATCH_BYTES, import_tasks
from ui_adapters.webhook import REVIEW_ACTIONS, WEBHOOK_SECRET_HEADER

TITLE_MAX = 50  # Label Studio's project title limit
CLOSED_PREFIX = "[closed] "
PAGE_SIZE = 100
REVIEW_VIEW = "to review"
ALL_VIEW = "all tasks"
#: Task fields the task list never shows (raw per-frame lists, the header text, sizes, ids) and
#: Label Studio's own columns a reviewer does not need (raw prediction/annotation JSON, counters).
HIDDEN_COLUMNS = tuple(f"tasks:data.{name}" for name in (
    "frames", "frame_indices", "scores", "context", "height", "width", "round_id", "model_version",
)) + tuple(f"tasks:{name}" for name in (
    "inner_id", "cancelled_annotations", "total_predictions", "annotations_results", "annotations_ids",
    "predictions_score", "predictions_model_versions", "predictions_results", "file_upload",
    "storage_filename", "created_at", "updated_at", "updated_by", "avg_lead_time", "draft_exists",
))


def _dump(obj: Any) -> dict[str, Any]:
    return obj if isinstance(obj, dict) else obj.model_dump(mode="json")


class LabelStudioReviewUI:
    """Review masklets in Label Studio 1.23 (``url`` e.g. ``http://127.0.0.1:8089``).

    ``token``: the service account's API token (legacy token or personal access token).
    ``webhook_url`` / ``webhook_secret``: where Label Studio notifies submitted annotations.
    ``frame_storage``: attach this S3 bucket to each project so ``s3://`` frame URLs resolve
    (otherwise frame URLs must be loadable as given, e.g. presigned).
    ``batch_size`` / ``max_batch_bytes``: import limits per request; ``timeout``: seconds per call.
    ``retries`` / ``retry_backoff_s``: open, fetch and close are tried up to ``retries`` times while
    the server is unreachable or answers 5xx, waiting ``retry_backoff_s`` x 1, 2, 4 ... between
    attempts (all three are idempotent; see :mod:`ui_adapters.retry`), then fail with one clear error.
    """

    name = UI_NAME

    def __init__(
        self,
        *,
        url: str,
        token: str,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        label: str = DEFAULT_LABEL,
        frame_storage: S3FrameStorage | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
        timeout: float = 60.0,
        retries: int = 3,
        retry_backoff_s: float = 1.0,
    ) -> None:
        if not url or not token:
            raise InvalidInputError(
                "Label Studio needs a URL and an API token: set MASKLOOP_LABEL_STUDIO_URL and "
                "MASKLOOP_LABEL_STUDIO_TOKEN"
            )
        if webhook_url and not webhook_secret:
            raise InvalidInputError("a webhook_url needs a webhook_secret (MASKLOOP_WEBHOOK_SECRET)")
        self.url = url.rstrip("/")
        self._client = LabelStudio(base_url=self.url, api_key=token, timeout=timeout)
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret
        self._label = label
        self._frame_storage = frame_storage
        self._batch_size = batch_size
        self._max_batch_bytes = max_batch_bytes
        self.retries = max(1, int(retries))
        self.retry_backoff_s = float(retry_backoff_s)

    def __repr__(self) -> str:
        return f"LabelStudioReviewUI(url={self.url!r})"

    # ------------------------------------------------------------------------------ projects
    def _title(self, round: ReviewRound) -> str:
        return f"maskloop r{round.round_id}: {round.title}"[:TITLE_MAX]

    def _find_project(self, round: ReviewRound) -> Any | None:
        """The round's project: its title prefix and, when the round has a description, that
        description too (so a project left by another catalog's round of the same number, on a
        Label Studio that outlived its catalog, is never reused)."""
        prefix = f"maskloop r{round.round_id}:"
        with label_studio_errors("listing projects", url=self.url):
            for project in self._client.projects.list(page_size=PAGE_SIZE):
                if (project.title or "").startswith(prefix) and (
                        not round.description or (project.description or "") == round.description):
                    return project
        return None

    def _existing_tasks(self, project_id: int) -> tuple[dict[tuple[int, int], tuple[int, dict[str, Any]]], set[int]]:
        """(masklet_id, revision) -> (task id, task data) of the project's masklet tasks, and the
        video ids that have an "add objects" task."""
        found: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}
        videos: set[int] = set()
        with label_studio_errors(f"listing tasks of project {project_id}", url=self.url):
            for task in self._client.tasks.list(project=project_id, fields="all", page_size=PAGE_SIZE):
                data = task.data or {}
                if data.get("kind") == OBJECTS_KIND and "video_id" in data:
                    videos.add(int(data["video_id"]))
                elif "masklet_id" in data and "revision" in data:
                    found[(int(data["masklet_id"]), int(data["revision"]))] = (int(task.id), dict(data))
        return found, videos

    def _supersede(self, project_id: int, existing: dict[tuple[int, int], tuple[int, dict[str, Any]]],
                   new: Sequence[tuple[int, int]]) -> None:
        """Mark every task of an older revision of a newly imported masklet revision superseded."""
        newest: dict[int, int] = {}
        for mid, rev in new:
            newest[mid] = max(rev, newest.get(mid, 0))
        with label_studio_errors(f"marking superseded tasks of project {project_id}", url=self.url):
            for (mid, rev), (task_id, data) in sorted(existing.items()):
                status = f"superseded by rev {newest[mid]}" if rev < newest.get(mid, 0) else None
                if status and data.get("review_status") != status:
                    self._client.tasks.update(id=str(task_id), data={**data, "review_status": status})

    def _ensure_view(self, project_id: int) -> None:
        """The task list a reviewer opens on: what still needs a decision, lowest score first."""
        hidden = list(HIDDEN_COLUMNS)
        data = {
            "title": REVIEW_VIEW,
            "hiddenColumns": {"explore": hidden, "labeling": hidden},
            "columnsDisplayType": {"tasks:data.thumbnail": "Image"},
            "columnsWidth": {f"tasks:data.{name}": 110 for name in ("masklet_id", "revision", "n_frames",
                                                                      "lowest_score")},
            "filters": {"conjunction": "and", "items": [{
                "filter": "filter:tasks:data.review_status", "operator": "equal", "type": "String",
                "value": TO_REVIEW}, {
                "filter": "filter:tasks:total_annotations", "operator": "equal", "type": "Number",
                "value": 0}]},
            "ordering": ["tasks:data.lowest_score"],
        }
        everything = {"title": ALL_VIEW, "hiddenColumns": data["hiddenColumns"],
                      "columnsDisplayType": data["columnsDisplayType"], "columnsWidth": data["columnsWidth"],
                      "ordering": ["tasks:id"]}
        with label_studio_errors(f"creating the task views of project {project_id}", url=self.url):
            titles = {(v.data or {}).get("title") for v in self._client.views.list(project=project_id)}
            for view in (data, everything):
                if view["title"] not in titles:
                    self._client.views.create(project=project_id, data=view)  # type: ignore[arg-type]

    @retried("opening the review")
    def open_review(
        self, *, round: ReviewRound, masklets: Sequence[MaskletForReview], max_frames: int,
        videos: Sequence[VideoForObjects] = (),
    ) -> ReviewProject:
        """Create (or reuse) the round's project and import one task per new masklet revision, and
        one "add objects" task per video of ``videos`` that has none yet."""
        keys = [(m.masklet_id, m.revision) for m in masklets]
        if len(set(keys)) != len(keys):
            raise InvalidInputError("masklets hold the same (masklet_id, revision) twice")
        if max_frames < 1:
            raise InvalidInputError(f"max_frames must be >= 1, got {max_frames}")
        project = self._find_project(round)
        if project is None:
            versions = sorted({m.model_version for m in masklets} | {v.model_version for v in videos})
            with label_studio_errors(f"creating the project of round {round.round_id}", url=self.url):
                project = self._client.projects.create(
                    title=self._title(round),
                    description=round.description or f"maskloop annotation round {round.round_id}",
                    label_config=build_label_config(label=self._label),
                    expert_instruction=review_instructions(),
                    show_instruction=True,
                    show_collab_predictions=True,
                    maximum_annotations=1,
                    **({"model_version": versions[0]} if len(versions) == 1 else {}),
                )
            existing: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}
            with_objects: set[int] = set()
        else:
            existing, with_objects = self._existing_tasks(project.id)
        if self._webhook_url:
            self._ensure_webhook(project.id)
        if self._frame_storage is not None:
            self._ensure_frame_storage(project.id, self._frame_storage)
        self._ensure_view(project.id)
        tasks = [
            masklet_to_task(m, round_id=round.round_id, max_frames=max_frames, label=self._label)
            for m in masklets
            if (m.masklet_id, m.revision) not in existing
        ]
        object_tasks = [video_to_objects_task(v, round_id=round.round_id, max_frames=max_frames, label=self._label)
                        for v in videos if v.video_id not in with_objects]
        import_tasks(
            self._client,
            project_id=project.id,
            tasks=tasks + object_tasks,
            url=self.url,
            batch_size=self._batch_size,
            max_batch_bytes=self._max_batch_bytes,
        )
        self._supersede(project.id, existing, [(t["data"]["masklet_id"], t["data"]["revision"]) for t in tasks])
        return ReviewProject(
            ui=UI_NAME,
            project_id=int(project.id),
            round_id=round.round_id,
            url=f"{self.url}/projects/{project.id}/data",
            task_count=len(existing) + len(with_objects) + len(tasks) + len(object_tasks),
        )

    def _ensure_webhook(self, project_id: int) -> None:
        """Register the project's webhook unless one to ``webhook_url`` exists already.

        An existing one whose secret header, actions or state differ (a rotated secret, a hook
        disabled by hand) is updated in place, so a project never holds two hooks to one URL.
        """
        headers = {WEBHOOK_SECRET_HEADER: self._webhook_secret}
        with label_studio_errors(f"registering the webhook of project {project_id}", url=self.url):
            for hook in self._client.webhooks.list(project=str(project_id)):
                if hook.project == project_id and hook.url == self._webhook_url:
                    if (hook.headers != headers or not hook.is_active or not hook.send_payload
                            or set(hook.actions or ()) != REVIEW_ACTIONS):
                        self._client.webhooks.update(
                            id=hook.id,  # type: ignore[arg-type]
                            headers=headers,
                            actions=sorted(REVIEW_ACTIONS),  # type: ignore[arg-type]
                            send_payload=True,
                            send_for_all_actions=False,
                            is_active=True,
                        )
                    return
            self._client.webhooks.create(
                url=self._webhook_url,  # type: ignore[arg-type]
                project=project_id,
                send_payload=True,
                send_for_all_actions=False,
                actions=sorted(REVIEW_ACTIONS),  # type: ignore[arg-type]
                headers={WEBHOOK_SECRET_HEADER: self._webhook_secret},
                is_active=True,
            )

    def _ensure_frame_storage(self, project_id: int, storage: S3FrameStorage) -> None:
        """Attach the S3 frame bucket (never synced: it only resolves ``s3://`` frame URLs)."""
        with label_studio_errors(f"attaching S3 bucket {storage.bucket} to project {project_id}", url=self.url):
            for existing in self._client.import_storage.s3.list(project=project_id):
                if existing.bucket == storage.bucket and (existing.prefix or "") == storage.prefix:
                    return
            self._client.import_storage.s3.create(
                project=project_id,
                title=f"maskloop frames ({storage.bucket})",
                bucket=storage.bucket,
                prefix=storage.prefix,
                presign=True,
                presign_ttl=storage.presign_ttl_min,
                use_blob_urls=True,
                aws_access_key_id=storage.access_key,
                aws_secret_access_key=storage.secret_key,
                region_name=storage.region,
                request_options={"additional_body_parameters": {"s3_endpoint": storage.endpoint}},
            )

    @retried("closing the review")
    def close_review(self, *, project: ReviewProject) -> None:
        """Remove the project's webhooks and prefix its title with ``[closed]``."""
        pid = project.project_id
        with label_studio_errors(f"closing project {pid}", url=self.url):
            for hook in self._client.webhooks.list(project=str(pid)):
                if hook.project == pid:
                    self._client.webhooks.delete(id=hook.id)
            current = self._client.projects.get(id=pid)
            title = current.title or ""
            if not title.startswith(CLOSED_PREFIX):
                self._client.projects.update(id=pid, title=(CLOSED_PREFIX + title)[:TITLE_MAX])

    # ------------------------------------------------------------------------------ reviews
    def _emails(self) -> dict[int, str]:
        with label_studio_errors("listing users", url=self.url):
            return {int(u.id): u.email for u in self._client.users.list() if u.email}

    @retried("fetching reviews")
    def fetch_reviews(
        self,
        *,
        project: ReviewProject,
        since: datetime | None = None,
        seen: AbstractSet[str] = frozenset(),
    ) -> ReviewBatch:
        """Annotations updated at/after ``since`` (UTC; naive = UTC) not in ``seen``, oldest first."""
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        emails = self._emails()
        reviews: list[Review] = []
        rejected = []
        pid = project.project_id
        with label_studio_errors(f"reading tasks of project {pid}", url=self.url):
            for task_obj in self._client.tasks.list(project=pid, fields="all", page_size=PAGE_SIZE):
                task = _dump(task_obj)
                if is_objects_task(task):
                    continue
                for annotation in task.get("annotations") or []:
                    out = parse_annotation(project_id=pid, task=task, annotation=annotation, emails=emails)
                    stamp = out.annotation_updated_at
                    if out.external_id in seen or (since and stamp and stamp < since):
                        continue
                    (reviews if isinstance(out, Review) else rejected).append(out)
        epoch = datetime.min.replace(tzinfo=UTC)
        reviews.sort(key=lambda r: (r.annotation_updated_at, r.annotation_id))
        rejected.sort(key=lambda r: (r.annotation_updated_at or epoch, r.annotation_id or 0))
        return ReviewBatch(reviews=tuple(reviews), rejected=tuple(rejected))

    @retried("fetching drawn objects")
    def fetch_new_objects(self, *, project: ReviewProject, seen: AbstractSet[str] = frozenset()) -> ObjectBatch:
        """Objects drawn on the project's "add objects" tasks whose external id is not in ``seen``
        (oldest first), the annotations rejected there, and how many of those tasks have no
        submitted annotation yet."""
        emails = self._emails()
        objects: list[DrawnObject] = []
        rejected: list[RejectedAnnotation] = []
        pending = 0
        pid = project.project_id
        with label_studio_errors(f"reading the add-objects tasks of project {pid}", url=self.url):
            for task_obj in self._client.tasks.list(project=pid, fields="all", page_size=PAGE_SIZE):
                task = _dump(task_obj)
                if not is_objects_task(task):
                    continue
                annotations = task.get("annotations") or []
                pending += not any(not a.get("was_cancelled") for a in annotations)
                for annotation in annotations:
                    out = parse_objects_annotation(project_id=pid, task=task, annotation=annotation, emails=emails)
                    if isinstance(out, RejectedAnnotation):
                        if out.external_id not in seen:
                            rejected.append(out)
                        continue
                    objects += [o for o in out if o.external_id not in seen]
        objects.sort(key=lambda o: (o.annotation_updated_at, o.annotation_id, o.external_id))
        return ObjectBatch(objects=tuple(objects), rejected=tuple(rejected), pending_tasks=pending)
