"""Bad inputs tried: one table of hostile, broken and borderline inputs across the product.

Each row runs through the real CLI (``flows.cli.main.main`` in-process) where a CLI exists, else
through the layer's public entry point (the Label Studio annotation parser, the webhook parser, the
object store, the auditor API), on one embedded catalog (SQLite + LocalStore under --home) seeded
with an ingested video, a DAVIS import with ground truth and a committed version ``demo@1``.

For every row: the expected exit code and a fragment of the one-line error (never a traceback);
nothing stored is lost or changed (row counts of every table, the audit chain and its head, every
object key and its size); and the next valid operation (ingesting a new frame folder) succeeds.
Rows marked ``valid`` are inputs the product must accept (4K, variable frame rate, empty / full /
1-pixel masks, unicode names): for those the stored state may only grow, and what was there stays.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import sqlalchemy as sa
from helpers.videos import (
    numbered_frame,
    write_davis_layout,
    write_frame_folder,
    write_numbered_video,
)
from PIL import Image

from flows.cli.main import main
from storage.audit.verify import verify_audit
from storage.catalog.catalog import Catalog
from storage.catalog.videos import get_video
from storage.masks.davis_png import write_davis_mask
from storage.masks.rle import encode_rle
from storage.objects.local_store import LocalStore

WHO = "bad-input-tester"


# ------------------------------------------------------------------------------------ the world
@dataclass
class World:
    root: Path  # scratch folder for generated inputs
    home: Path
    davis: Path  # a valid DAVIS root (eval uses it)
    api_token: str
    counter: list[int]

    @property
    def url(self) -> str:
        return f"sqlite:///{self.home / 'catalog.sqlite'}"

    def fresh(self, name: str) -> Path:
        """A new empty scratch folder."""
        self.counter[0] += 1
        path = self.root / f"{self.counter[0]:03d}-{name}"
        path.mkdir(parents=True)
        return path


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    audit_ok: bool
    n_events: int
    head: str | None
    objects: dict[str, int]  # key -> size


def snapshot(world: World) -> Snapshot:
    with Catalog.open(world.url) as catalog:
        names = sa.inspect(catalog.engine).get_table_names()
        with catalog.engine.connect() as conn:
            counts = {t: int(conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in sorted(names)}
        check = verify_audit(catalog)
    objects_dir = world.home / "objects"
    objects = {str(p.relative_to(objects_dir)): p.stat().st_size for p in objects_dir.rglob("*") if p.is_file()}
    return Snapshot(counts, check.ok, check.n_events, check.head_hash, objects)


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def _embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MASKLOOP_DATABASE_URL", "MASKLOOP_S3_ENDPOINT", "MASKLOOP_STACK_DIR", "MASKLOOP_HOME",
                "MASKLOOP_ROLE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MASKLOOP_ACTOR", WHO)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        for var in ("MASKLOOP_DATABASE_URL", "MASKLOOP_S3_ENDPOINT", "MASKLOOP_STACK_DIR", "MASKLOOP_HOME",
                    "MASKLOOP_ROLE"):
            patch.delenv(var, raising=False)
        patch.setenv("MASKLOOP_ACTOR", WHO)
        yield _build_world(tmp_path_factory.mktemp("bad-inputs"))


def _build_world(root: Path) -> World:
    home = root / "home"
    good = write_numbered_video(root / "good.mp4", n_frames=10, fps=25)
    assert main(["--home", str(home), "ingest", str(good), "--dataset", "demo"]) == 0
    davis = write_davis_layout(root / "davis", {"seqa": 4, "seqb": 3})
    assert main(["--home", str(home), "import", "davis", str(davis), "--dataset", "demo", "--with-gt"]) == 0
    assert main(["--home", str(home), "dataset", "commit", "demo", "-m", "seed"]) == 0
    from storage.catalog.api_tokens import create_token

    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as catalog:
        token = create_token(catalog, name="bad-input-auditor", role="auditor", actor=WHO, actor_role="admin").secret
    return World(root=root, home=home, davis=davis, api_token=token, counter=[0])


@pytest.fixture()
def cli(world: World, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--home", str(world.home), *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


# ------------------------------------------------------------------------------------ inputs
def _video(world: World, name: str, **kwargs: object) -> Path:
    return write_numbered_video(world.fresh("video") / name, **kwargs)  # type: ignore[arg-type]


def _corrupt(world: World, name: str = "corrupt.mp4") -> Path:
    path = world.fresh("corrupt") / name
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    return path


def _file(world: World, name: str, data: bytes) -> Path:
    path = world.fresh("file") / name
    path.write_bytes(data)
    return path


def _still(world: World) -> Path:
    path = world.fresh("still") / "one.png"
    Image.fromarray(numbered_frame(1)).save(path)
    return path


def _truncated(world: World) -> Path:
    good = _video(world, "whole.mp4", n_frames=12)
    cut = good.with_name("truncated.mp4")
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return cut


def _zero_frame(world: World) -> Path:
    path = world.fresh("zero") / "zero.mkv"
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    container.start_encoding()
    container.close()
    return path


def _vfr(world: World) -> Path:
    """12 numbered frames with alternating 100 ms and 40 ms gaps (a variable frame rate)."""
    path = world.fresh("vfr") / "vfr.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        pts = 0
        for i in range(12):
            frame = av.VideoFrame.from_ndarray(numbered_frame(i), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            pts += 40 if i % 2 else 100
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _frames(world: World, *, n: int = 3, width: int = 32, height: int = 20, start: int = 0) -> Path:
    folder = world.fresh("frames") / "clip"
    write_frame_folder(folder, n_frames=n, width=width, height=height, start=start)
    return folder


def _frames_gap(world: World) -> Path:
    folder = _frames(world, n=4)
    (folder / "00002.jpg").unlink()
    return folder


def _frames_sizes(world: World) -> Path:
    folder = _frames(world, n=3)
    Image.fromarray(numbered_frame(7, width=40, height=24)).save(folder / "00001.jpg")
    return folder


def _frames_corrupt(world: World) -> Path:
    folder = _frames(world, n=3)
    (folder / "00001.jpg").write_bytes(b"not a jpeg at all")
    return folder


def _davis(world: World, n: int = 3) -> Path:
    return write_davis_layout(world.fresh("davis") / "root", {"seq": n}, width=32, height=24)


def _davis_counts(world: World) -> Path:
    root = _davis(world)
    (root / "Annotations" / "480p" / "seq" / "00002.png").unlink()
    return root


def _davis_sizes(world: World) -> Path:
    root = _davis(world)
    write_davis_mask(root / "Annotations" / "480p" / "seq" / "00000.png", np.zeros((20, 30), np.uint8))
    return root


def _davis_masks(world: World, ids: Callable[[int], np.ndarray], *, seed: int) -> Path:
    """A 2-frame DAVIS sequence (unique frames: ``seed``) with the given object-id maps."""
    root = world.fresh("davis") / "root"
    write_frame_folder(root / "JPEGImages" / "480p" / "seq", n_frames=2, width=32, height=24, start=seed)
    masks = root / "Annotations" / "480p" / "seq"
    masks.mkdir(parents=True)
    for k in range(2):
        write_davis_mask(masks / f"{seed + k:05d}.png", ids(k))
    return root


def _one_pixel(k: int) -> np.ndarray:
    ids = np.zeros((24, 32), np.uint8)
    ids[10 + k, 7] = 1
    return ids


def _sav(world: World, mutate: Callable[[dict], None]) -> tuple[Path, Path]:
    """A 24 fps, 8-frame 64x48 video and a valid 2-annotated-frame SA-V file, then ``mutate``d."""
    folder = world.fresh("sav")
    video = write_numbered_video(folder / "sav.mp4", n_frames=8, fps=24, width=64, height=48)
    mask = np.zeros((48, 64), bool)
    mask[10:20, 10:30] = True
    doc = {"video_id": "sav_x", "video_height": 48, "video_width": 64, "video_frame_count": 8,
           "masklet": [[encode_rle(mask)], [encode_rle(mask)]], "masklet_id": [0], "masklet_type": ["manual"]}
    mutate(doc)
    path = folder / "sav.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path, video


def _sav_wrong_size(doc: dict) -> None:
    doc["masklet"][1][0] = encode_rle(np.zeros((40, 64), bool))


def _sav_garbage(doc: dict) -> None:
    doc["masklet"][0][0]["counts"] = "\x7f\x7f garbage ~~~"


def _sav_bad_sum(doc: dict) -> None:
    doc["masklet"][0][0] = {"size": [48, 64], "counts": [10, 20, 30]}


def _checkpoint(world: World, kind: str) -> str:
    """A checkpoint file for ``maskloop eval --model``: another architecture, or not one at all."""
    import torch

    from model.network.architecture import tiny_cpu
    from model.network.checkpoint import write_checkpoint

    folder = world.fresh("ckpt")
    if kind == "other-arch":  # maskloop format, but the weights of a different network
        other = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Linear(8, 2))
        return str(write_checkpoint(folder / "other.pt", arch=tiny_cpu(), model_state=other.state_dict()))
    if kind == "official-as-ours":  # an official-style {"model": ...} file given as a bare path
        path = folder / "official.pt"
        torch.save({"model": torch.nn.Linear(4, 2).state_dict()}, path)
        return str(path)
    if kind == "tiny-as-sam2":  # our tiny-cpu checkpoint named as an official SAM 2.1 tiny
        from model.network.builder import build_network

        net = build_network(tiny_cpu())
        path = write_checkpoint(folder / "tiny.pt", arch=tiny_cpu(), model_state=net.state_dict())
        return f"sam2:tiny:{path}"
    path = folder / "garbage.pt"
    path.write_bytes(b"PK\x03\x04 this is not a torch file" * 10)
    return str(path)


# ------------------------------------------------------------------------------------ non-CLI entry points
def _annotation(kind: str) -> tuple[int, str]:
    """Parse one Label Studio annotation; (2, reason) when rejected, (0, verdict) when accepted."""
    from helpers.label_studio import box_mask, edit_result, make_masklet, verdict_result

    from ui_adapters.annotation_parser import parse_annotation
    from ui_adapters.records import RejectedAnnotation
    from ui_adapters.task_builder import masklet_to_task

    task = {"id": 7, **masklet_to_task(make_masklet(5, 3), round_id=1, max_frames=8)}
    task["predictions"] = [{"id": 1, "model_version": "tiny-cpu@3", **p} for p in task.get("predictions", [])]
    result: list[dict] = [verdict_result("unsatisfactory")]
    if kind == "wrong-dimensions":
        result.append(edit_result(box_mask(25, 32, 1, 1, 4), 0))
    elif kind == "missing-verdict":
        result = [edit_result(box_mask(24, 32, 1, 1, 4), 0)]
    elif kind == "unknown-task":
        task = {"id": 8, "data": {"image": "http://x.invalid/a.png"}}
    elif kind == "garbage-rle":
        bad = edit_result(box_mask(24, 32, 1, 1, 4), 1)
        bad["value"]["rle"] = [255, 255, 255, 255, 1, 2, 3]
        result.append(bad)
    elif kind == "item-out-of-range":
        result.append(edit_result(box_mask(24, 32, 1, 1, 4), 99))
    annotation = {"id": 3, "updated_at": "2026-11-21T10:00:00Z", "result": result, "completed_by": 1}
    out = parse_annotation(project_id=1, task=task, annotation=annotation)
    if isinstance(out, RejectedAnnotation):
        return 2, out.reason
    return 0, str(out.verdict)


def _webhook(body: bytes) -> tuple[int, str]:
    from ui_adapters.errors import ReviewUIError
    from ui_adapters.webhook import parse_webhook

    try:
        event = parse_webhook(body)
    except ReviewUIError as exc:
        return exc.exit_code, str(exc)
    return 0, repr(event)


def _object_key(world: World, key: str) -> tuple[int, str]:
    """Write and read back ``key`` in the world's LocalStore; (exit code, message or the bytes)."""
    from storage.errors import StorageError

    store = LocalStore(world.home / "objects")
    try:
        store.put_bytes(key, b"hostile-key-payload")
        return 0, store.get_bytes(key).decode()
    except StorageError as exc:
        return exc.exit_code, str(exc)


def _api(world: World, path: str) -> tuple[int, str]:
    """GET ``path`` on the auditor API (auditor token); (HTTP status, body)."""
    from fastapi.testclient import TestClient

    from flows.api.app import create_app
    from flows.settings import Settings

    settings = Settings(_env_file=None, home=world.home)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        response = client.get(path, headers={"Authorization": f"Bearer {world.api_token}"})
    return response.status_code, response.text


# ------------------------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Case:
    kind: str
    run: Callable[[World, Cli], tuple[int, str]]  # -> (exit code or HTTP status, text to search)
    code: int
    fragment: str
    valid: bool = False  # an input the product must accept
    audited_read: bool = False  # the API appends one api.request audit event per request


def _err(result: tuple[int, str, str]) -> tuple[int, str]:
    code, out, err = result
    assert "Traceback" not in out + err
    if code != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 or not lines[0].startswith("error:"), f"not one line: {err!r}"
    return code, err if code else out


def ingest(*paths: Callable[[World], Path], dataset: str = "demo", extra: tuple[str, ...] = ()):
    return lambda w, cli: _err(cli("ingest", *(str(p(w)) for p in paths), "--dataset", dataset, *extra))


def davis(make: Callable[[World], Path], dataset: str = "demo"):
    return lambda w, cli: _err(cli("import", "davis", str(make(w)), "--dataset", dataset, "--with-gt"))


def sav(mutate: Callable[[dict], None]):
    def run(w: World, cli: Cli) -> tuple[int, str]:
        doc, video = _sav(w, mutate)
        return _err(cli("import", "sav", str(doc), "--video", str(video), "--dataset", "demo"))
    return run


def events(*filters: str):
    """``audit show FILTERS -f json``: (exit code, "<n> events")."""
    def run(w: World, cli: Cli) -> tuple[int, str]:
        code, out = _err(cli("audit", "show", *filters, "-f", "json"))
        return code, f"{len(json.loads(out))} events" if code == 0 else out
    return run


def cmd(*args: str):
    return lambda w, cli: _err(cli(*args))


def evaluate(kind: str):
    return lambda w, cli: _err(cli("eval", "--data", str(w.davis), "--sequences", "seqa", "--model", _checkpoint(w, kind)))


def _named(name: str, make: Callable[[World, str], Path]):
    return lambda w: make(w, name)


INJECT = "' OR '1'='1'; DROP TABLE masklet; --"

CASES: list[Case] = [
    # videos
    Case("corrupt video", ingest(_corrupt), 2, "error: not a readable video: corrupt.mp4 (unknown or damaged container)"),
    Case("truncated video", ingest(_truncated), 2, "error: not a readable video: truncated.mp4"),
    Case("empty video file", ingest(lambda w: _file(w, "empty.mp4", b"")), 2, "not a readable video: empty.mp4 (empty file)"),
    Case("zero-frame video", ingest(_zero_frame), 2, "error: not a readable video: zero.mkv"),
    Case("non-video (text as .mp4)", ingest(lambda w: _file(w, "notes.mp4", b"hello " * 200)),
         2, "error: not a readable video: notes.mp4"),
    Case("non-video (still image)", ingest(_still), 2, "not a readable video: one.png (a still image"),
    Case("missing video file", ingest(lambda w: w.root / "does-not-exist.mp4"), 3, "error: no such file or folder"),
    Case("4K video (valid)", ingest(lambda w: _video(w, "uhd.mp4", n_frames=2, width=3840, height=2160), extra=("--fps", "25")),
         0, "2 frames 3840x2160", valid=True),
    Case("variable-frame-rate video (valid)", ingest(_vfr, extra=("--fps", "25")), 0, "ingested: vfr.mkv", valid=True),
    Case("--fps 0", ingest(lambda w: _video(w, "ok.mp4", n_frames=2), extra=("--fps", "0")), 2, "--fps must be > 0"),
    # frame folders
    Case("frames folder with a gap", ingest(_frames_gap), 2, "gap in numbering: 00001.jpg is followed by 00003.jpg"),
    Case("frames folder with two sizes", ingest(_frames_sizes), 2, "00001.jpg is 40x24 but 00000.jpg is 32x20"),
    Case("frames folder with a corrupt frame", ingest(_frames_corrupt), 2, "not a readable image: 00001.jpg"),
    Case("empty frames folder", ingest(lambda w: w.fresh("noframes")), 2, "no images"),
    # DAVIS
    Case("DAVIS: fewer masks than frames", davis(_davis_counts), 2, "seq: 3 frames but 2 masks (unmatched: 00002)"),
    Case("DAVIS: mask size differs from frames", davis(_davis_sizes), 2, "mask 00000.png is 30x20, frames are 32x24"),
    Case("DAVIS: not a DAVIS root", davis(lambda w: w.fresh("notdavis")), 2, "is not a DAVIS root"),
    Case("empty masks (valid: no object)", davis(lambda w: _davis_masks(w, lambda k: np.zeros((24, 32), np.uint8), seed=100)),
         0, "0 ground-truth masklets", valid=True),
    Case("full-frame masks (valid)", davis(lambda w: _davis_masks(w, lambda k: np.ones((24, 32), np.uint8), seed=200)),
         0, "1 ground-truth masklets", valid=True),
    Case("1-pixel masks (valid)", davis(lambda w: _davis_masks(w, _one_pixel, seed=300)),
         0, "1 ground-truth masklets", valid=True),
    # RLE (SA-V import)
    Case("RLE of the wrong size", sav(_sav_wrong_size), 2, "frame 1 has a mask of size 40x64, video is 48x64"),
    Case("RLE with garbage counts", sav(_sav_garbage), 2, "RLE counts are not valid COCO RLE"),
    Case("RLE counts not covering the frame", sav(_sav_bad_sum), 2, "RLE counts cover 60 pixels but size 48x64"),
    Case("SA-V file without a masklet list", sav(lambda d: d.clear()), 2, "is not an SA-V annotation file"),
    # Label Studio annotations (the adapter's parser) and webhooks
    Case("LS annotation: wrong dimensions", lambda w, c: _annotation("wrong-dimensions"), 2, "is 25x32, the task's frames are 24x32"),
    Case("LS annotation: missing verdict", lambda w, c: _annotation("missing-verdict"), 2, "no verdict"),
    Case("LS annotation: unknown task", lambda w, c: _annotation("unknown-task"), 2, "unknown task"),
    Case("LS annotation: garbage brush RLE", lambda w, c: _annotation("garbage-rle"), 2, "bad brush RLE"),
    Case("LS annotation: brush on a frame not in the task", lambda w, c: _annotation("item-out-of-range"), 2,
         "item_index 99 is outside the task's 3 frames"),
    Case("LS webhook: body not JSON", lambda w, c: _webhook(b"\xff{not json"), 2, "webhook body is not JSON"),
    Case("LS webhook: no annotation id", lambda w, c: _webhook(json.dumps(
        {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "task": {"id": 2}, "annotation": {"id": "1; DROP"}}).encode()),
         2, "annotation.id is '1; DROP'"),
    # hostile object keys and file names
    Case("object key: path traversal", lambda w, c: _object_key(w, "videos/../../../etc/passwd"), 2, "path traversal"),
    Case("object key: absolute", lambda w, c: _object_key(w, "/etc/passwd"), 2, "must be relative"),
    Case("object key: NUL", lambda w, c: _object_key(w, "videos/a\x00b"), 2, "control character"),
    Case("object key: very long", lambda w, c: _object_key(w, "k/" + "x" * 2000), 2, "longer than 1024 bytes"),
    Case("object key: unicode (valid)", lambda w, c: _object_key(w, "hostile/vidéo-🎞/ünï.bin"), 0,
         "hostile-key-payload", valid=True),
    Case("file name: NUL", ingest(lambda w: Path(str(w.root / "a\x00b.mp4"))), 2, "embedded null byte"),
    Case("file name: newline", ingest(lambda w: _corrupt(w, "bad\nname.mp4")), 2, "bad\\nname.mp4"),
    Case("file name: very long", ingest(lambda w: _corrupt(w, "v" * 240 + ".mp4")), 2, "v" * 240 + ".mp4"),
    Case("file name: unicode (valid)", ingest(lambda w: _video(w, "vidéo 🎞 ünï.mp4", n_frames=3, width=32, height=24)),
         0, "ingested: vidéo 🎞 ünï.mp4", valid=True),
    Case("dataset name: path traversal", ingest(lambda w: _video(w, "t.mp4", n_frames=2), dataset="../../etc"),
         2, "invalid dataset name '../../etc'"),
    Case("dataset name: SQL injection", ingest(lambda w: _video(w, "t.mp4", n_frames=2), dataset=INJECT),
         2, "invalid dataset name"),
    # SQL injection in every CLI filter
    Case("SQL injection: audit show --actor", events("--actor", INJECT), 0, "0 events"),
    Case("SQL injection: audit show --action", events("--action", "version.commit" + INJECT), 0, "0 events"),
    Case("SQL injection: audit show --entity", events("--entity", "dataset:1" + INJECT), 0, "0 events"),
    Case("SQL injection: audit show --since", cmd("audit", "show", "--since", "2026-01-01" + INJECT), 2, "use an ISO date"),
    Case("SQL injection: audit verify --anchor", cmd("audit", "verify", "--anchor", INJECT), 1, "BROKEN"),
    Case("SQL injection: dataset list", cmd("dataset", "list", "demo" + INJECT), 3, "not found"),
    Case("SQL injection: dataset show", cmd("dataset", "show", "demo@1" + INJECT), 2, "invalid dataset version reference"),
    Case("SQL injection: dataset diff", cmd("dataset", "diff", "demo@1", "demo@1; DELETE FROM masklet"), 2,
         "invalid dataset version reference"),
    Case("SQL injection: lineage dataset", cmd("lineage", "dataset", "demo@1 UNION SELECT * FROM api_token"), 2,
         "invalid dataset version reference"),
    Case("SQL injection: lineage model", cmd("lineage", "model", "seg" + INJECT + "@1"), 2, "invalid model"),
    Case("SQL injection: lineage masklet id", cmd("lineage", "masklet", "1 OR 1=1"), 2, "Invalid value for 'masklet_id'"),
    Case("SQL injection: lineage video id", cmd("lineage", "video", "1; DROP TABLE video"), 2,
         "Invalid value for 'video_id'"),
    Case("SQL injection: dataset commit name", cmd("dataset", "commit", INJECT, "-m", "x"), 3, "not found"),
    Case("SQL injection: API audit actor filter",
         lambda w, c: _api(w, "/v1/audit/events?actor=%27%20OR%20%271%27%3D%271%27%3B%20DROP%20TABLE%20masklet%3B--"),
         422, "string_pattern_mismatch", audited_read=True),
    Case("SQL injection: API audit action filter",
         lambda w, c: _api(w, "/v1/audit/events?action=version.commit%27%20OR%201%3D1--"),
         422, "string_pattern_mismatch", audited_read=True),
    Case("SQL injection: API audit entity filter",
         lambda w, c: _api(w, "/v1/audit/events?entity=dataset%3A1%27%3BDELETE%20FROM%20review--"),
         422, "string_pattern_mismatch", audited_read=True),
    Case("SQL injection: API model name", lambda w, c: _api(w, "/v1/models/seg%27--/1/lineage"),
         422, "string_pattern_mismatch", audited_read=True),
    Case("SQL injection: API masklet id", lambda w, c: _api(w, "/v1/masklets/1%20OR%201%3D1/provenance"),
         422, "int_parsing", audited_read=True),
    Case("SQL injection: API dataset name", lambda w, c: _api(w, "/v1/datasets/demo%27%3B%20DROP%20TABLE%20dataset%3B--/versions"),
         422, "detail", audited_read=True),
    # checkpoints and references
    Case("checkpoint of another architecture", evaluate("other-arch"), 2, "does not fit this architecture"),
    Case("official checkpoint given as ours", evaluate("official-as-ours"), 2, "looks like an official SAM 2 checkpoint"),
    Case("tiny-cpu checkpoint as sam2:tiny", evaluate("tiny-as-sam2"), 2, "holds architecture"),
    Case("checkpoint that is not a torch file", evaluate("garbage"), 2, "is not a readable torch checkpoint"),
    Case("dataset version that does not exist", cmd("dataset", "show", "demo@99"), 3, "demo@99"),
    Case("dataset diff to a missing version", cmd("dataset", "diff", "demo@1", "demo@42"), 3, "demo@42"),
    Case("lineage of a missing version", cmd("lineage", "dataset", "nosuch@1"), 3, "nosuch"),
    Case("malformed version reference", cmd("dataset", "show", "demo"), 2, "expected NAME@N"),
    Case("commit with an empty message", cmd("dataset", "commit", "demo", "-m", "  "), 2, "a commit message is required"),
    Case("commit message with a NUL", cmd("dataset", "commit", "demo", "-m", "fix\x00"), 2,
         "a commit message cannot contain NUL"),
    Case("commit with bad split fractions", cmd("dataset", "commit", "demo", "-m", "x", "--splits", "0.5,0.5"), 2,
         "give three numbers"),
]


def _valid_next_operation(world: World, cli: Cli) -> None:
    """The next valid operation succeeds: ingest a new frame folder, then the audit chain verifies."""
    world.counter[0] += 1
    folder = _frames(world, n=2, width=16, height=16, start=world.counter[0] * 3)
    code, out, err = cli("ingest", str(folder), "--dataset", "demo")
    assert (code, err) == (0, "") and "ingested: clip" in out
    code, out, _ = cli("audit", "verify")
    assert code == 0 and out.startswith("audit trail OK")


def test_the_table_has_at_least_25_kinds() -> None:
    kinds = [c.kind for c in CASES]
    assert len(set(kinds)) == len(kinds) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_bad_input(case: Case, world: World, cli: Cli) -> None:
    before = snapshot(world)
    code, text = case.run(world, cli)
    assert code == case.code, text
    assert case.fragment in text
    assert "Traceback" not in text
    after = snapshot(world)
    assert after.audit_ok
    if case.valid:  # accepted: everything stored before is still there, unchanged; things were added
        assert all(after.objects.get(k) == size for k, size in before.objects.items())
        assert all(after.counts[t] >= n for t, n in before.counts.items())
        assert after.objects != before.objects or after.counts != before.counts
        with Catalog.open(world.url) as catalog:
            assert verify_audit(catalog, anchor=before.head).ok  # the old head is still in the chain
    elif case.audited_read:  # the API audits every request (one api.request event), nothing else
        assert after.objects == before.objects
        assert {t: n for t, n in after.counts.items() if t != "audit_event"} == \
            {t: n for t, n in before.counts.items() if t != "audit_event"}
        assert after.counts["audit_event"] == before.counts["audit_event"] + 1
    else:
        assert after == before
    _valid_next_operation(world, cli)


def test_vfr_and_4k_videos_store_every_frame_in_order(world: World, cli: Cli) -> None:
    """The variable-frame-rate and 4K rows above are not just accepted: the frames are right."""
    from helpers.videos import frame_number

    for make, n in ((_vfr, 12), (lambda w: _video(w, "uhd2.mp4", n_frames=2, width=3840, height=2160), 2)):
        path = make(world)
        code, out = _err(cli("ingest", str(path), "--dataset", "shapes", "--fps", "25"))
        assert code == 0 and f"{n} frames" in out
        video_id = int(out.split("-> video ")[1].split(",")[0])
        with Catalog.open(world.url) as catalog:
            video = get_video(catalog, video_id)
        store = LocalStore(world.home / "objects")
        decoded = [frame_number(np.asarray(Image.open(io.BytesIO(store.get_bytes(video.frame_key(k)))).convert("RGB")))
                   for k in range(video.n_frames)]
        assert decoded == list(range(n))
