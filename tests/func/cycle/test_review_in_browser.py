"""A round's review task as a person sees it: the real Label Studio in headless Chromium.

A generated video is ingested into a fresh PostgreSQL catalog on the stack, a round is planned, its
masklet generated (``generate_video_masklets``, at most one masklet) and ``open_round_review`` opens
the Label Studio project: frames are ``s3://`` URLs that Label Studio resolves through its S3
storage on the stack's SeaweedFS. Chromium (Debian's package, driven by Playwright,
tests/helpers/browser.py) logs in through ``/user/login/`` as the stack's admin and opens
``/projects/<id>/data?task=<task id>``: the labeling view of that task. Asserted on the page:

(a) the frame ``<img>`` loaded: ``naturalWidth`` equals the video's frame width (and the height
    likewise), its pixels are the stored JPEG frame of video frame ``frame_indices[0]`` (mean
    absolute difference <= 3), and Konva's image layer, which is what is actually on screen (Label
    Studio 1.23 draws the frame on a canvas and clips the ``<img>`` to 1 px), shows the same frame;
(b) the brush overlay is drawn where the mask is; see :func:`_sample_layers` for how;
(c) the header shows the task's ``context`` (video frame numbers, "check first: page N = frame F"),
    the pager says "1 of <frames shown>", and the three verdict choices "satisfactory",
    "unsatisfactory", "ill-defined" are visible (after scrolling them into view: at 1600x1000
    they sit below the frame);
(d) "satisfactory" is clicked, then Submit; the page turns Submit into Update, Label Studio holds
    one annotation, and ``sync_round_reviews`` (what ``maskloop review sync`` runs) records one
    review, verdict satisfactory, no frame edited, by the admin's e-mail; the masklet is accepted.

Screenshots in tmp_path: ``review.png`` (the task as opened: the breadcrumb "maskloop r<round>:
<dataset>", on the left the project's task list (the masklet task and the video's "add objects"
task), the annotation tab "admin@..." (Label Studio's draft, pre-filled from the prediction) next
to the prediction tab "<model>@1 · <mean score as %>", the header text wrapping over three lines,
the pager "1 of 6", the 96 px frame scaled up to the view's width (about 800 px, blurred) with the
cyan masklet brush (MASKLET_COLOR at 60 % opacity) on the object, the tool bar with the brush tool already
selected, the Info panel and the Regions panel listing six regions all named "masklet" with a
score, one per page, though only page 1's is drawn), ``verdicts.png`` (scrolled down: the label
chips "masklet" and "new object", the verdict header and the three choices with hotkey
superscripts, "satisfactory" ticked) and ``submitted.png`` (after Submit: the same task, a toast
"Annotation saved successfully", the button now reads Update).

No webhook is registered (``webhook_url`` empty) and the catalog is a database of its own, so no
triggered or scheduled ``sync-reviews`` run of the shared stack can record the review first.
Run: MASKLOOP_TEST_SERVICES=postgres,s3,label-studio pytest tests/func/cycle/test_review_in_browser.py
"""

from __future__ import annotations

import base64
import io
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import sqlalchemy as sa
from helpers.browser import headless_chromium, label_studio_admin, login_label_studio, new_page
from PIL import Image

from flows.cycle.config import CycleConfig
from flows.cycle.create_round import plan_round
from flows.cycle.generate_flow import generate_video_masklets
from flows.cycle.ingest import ingest_one
from flows.cycle.review import open_round_review, review_ui, sync_round_reviews
from flows.cycle.workspace import open_workspace
from flows.programs.demo_data import make_demo_videos
from storage.catalog.catalog import Catalog
from storage.catalog.reviews import round_reviews
from storage.catalog.rounds import round_masklets
from storage.catalog.videos import get_video
from ui_adapters.brush_rle import rle_to_mask
from ui_adapters.label_config import CHOICE_TO_VERDICT, MASKLET_COLOR

NEEDED = ("postgres", "s3", "label-studio")
SIZE, FRAMES = 96, 6
LABEL_RGB = tuple(bytes.fromhex(MASKLET_COLOR[1:]))  # the brush label's color

#: The frame <img> of the labeling view (Label Studio's <Image> tag renders one per shown page).
IMG = ".lsf-image img"

#: True once the frame has loaded and some Konva layer holds pixels of the label's color.
READY_JS = """([img, rgb]) => {
  const i = document.querySelector(img);
  if (!i || !i.complete || i.naturalWidth === 0) return false;
  for (const c of document.querySelectorAll('.konvajs-content canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let k = 0; k < d.length; k += 4)
      if (d[k + 3] >= 128 && Math.abs(d[k] - rgb[0]) <= 16 && Math.abs(d[k + 1] - rgb[1]) <= 24
          && Math.abs(d[k + 2] - rgb[2]) <= 24) return true;
  }
  return false;
}"""

#: The <img> at its natural size, and every Konva layer sampled at the centre of each frame pixel.
SAMPLE_JS = """(img) => {
  const i = document.querySelector(img);
  const W = i.naturalWidth, H = i.naturalHeight, r = i.getBoundingClientRect();
  const off = document.createElement('canvas'); off.width = W; off.height = H;
  const octx = off.getContext('2d'); octx.drawImage(i, 0, 0);
  const layers = Array.from(document.querySelectorAll('.konvajs-content canvas')).map((c) => {
    const cr = c.getBoundingClientRect(), out = new Array(W * H * 4).fill(0);
    const style = getComputedStyle(c);
    if (c.width && c.height) {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const sx = c.width / cr.width, sy = c.height / cr.height;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const cx = Math.floor((r.left + (x + 0.5) * r.width / W - cr.left) * sx);
        const cy = Math.floor((r.top + (y + 0.5) * r.height / H - cr.top) * sy);
        if (cx < 0 || cy < 0 || cx >= c.width || cy >= c.height) continue;
        for (let k = 0; k < 4; k++) out[(y * W + x) * 4 + k] = d[(cy * c.width + cx) * 4 + k];
      }
    }
    return {opacity: parseFloat(style.opacity), display: style.display, visibility: style.visibility,
            samples: out};
  });
  return {W, H, complete: i.complete, shown: [r.width, r.height],
          img: Array.from(octx.getImageData(0, 0, W, H).data), layers};
}"""


def _sample_layers(page: Any) -> dict[str, Any]:
    """What is on screen over the frame, at the frame's own resolution.

    How the overlay check works: Label Studio 1.23 renders the labeling view with Konva, one
    ``<canvas>`` per layer stacked over the frame (the frame itself on one layer, the brush regions
    on another, shown at CSS opacity 0.6). Reading the layer canvases with ``getImageData`` sees
    exactly what Konva drew, separated from the frame under it, so a red-ish surgical frame cannot
    be mistaken for the overlay (as a screenshot colour test could). Each layer is sampled at the
    centre of every frame pixel (mapping frame pixel -> CSS position of the shown ``<img>`` rect ->
    canvas pixel), giving ``H x W x 4`` arrays. The region layer is the one with the most pixels of
    the label's colour; a pixel is "drawn" where that layer has alpha >= 128 and the label's RGB.
    The drawn pixels must match the prediction's mask of page 1 (IoU >= 0.9), on a visible layer.
    As a control the test hides all regions (the Regions panel's eye button): then no layer holds
    the label's colour while the frame layer still shows the frame.
    """
    raw = page.evaluate(SAMPLE_JS, IMG)
    h, w = raw["H"], raw["W"]
    layers = []
    for layer in raw["layers"]:
        px = np.asarray(layer["samples"], np.int32).reshape(h, w, 4)
        layers.append({**layer, "px": px, "label": _label_coloured(px)})
    return {"W": w, "H": h, "shown": raw["shown"], "complete": raw["complete"],
            "img": np.asarray(raw["img"], np.int32).reshape(h, w, 4), "layers": layers}


def _label_coloured(px: np.ndarray) -> np.ndarray:
    rgb = np.asarray(LABEL_RGB)
    return (px[..., 3] >= 128) & (np.abs(px[..., :3] - rgb) <= (16, 24, 24)).all(axis=-1)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def _wait(what: str, predicate: Any, timeout_s: float = 60, every_s: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


def test_review_task_in_chromium_shows_frame_overlay_verdicts_and_submits(  # type: ignore[no-untyped-def]
        stack, stack_settings, pg_url, label_studio_client, tmp_path: Path) -> None:
    missing = [s for s in NEEDED if s not in stack.services]
    if missing:
        pytest.fail(f"this test needs {', '.join(missing)} in MASKLOOP_TEST_SERVICES")
    started = time.monotonic()
    settings = stack_settings.model_copy(update={"database_url": pg_url, "webhook_url": ""})
    assert settings.uses_s3  # frames reach Label Studio through its S3 storage
    Catalog.open(settings.catalog_url, auto_upgrade=True).close()
    # Label Studio projects are found by title "maskloop r<round id>:" and this catalog is new (its
    # first round would be 1, like other catalogs' on the shared Label Studio): start round ids high
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('annotation_round', 'id'), :n, false)"),
                     {"n": 10**7 + secrets.randbelow(10**8)})
    engine.dispose()

    # a round with one generated masklet (filters at 0), opened for review in Label Studio
    tag = secrets.token_hex(4)
    cfg = CycleConfig(model_name=f"br-{tag}", pred_iou_thresh=0.0, stability_thresh=0.0, max_masks=1)
    (video_file,) = make_demo_videos(tmp_path / "videos", n_train=1, n_val=0, n_frames=FRAMES, size=SIZE)
    with open_workspace(settings) as ws:
        ingest_one(ws, video_file.item(), dataset=f"br-{tag}")
        plan = plan_round(ws, dataset=f"br-{tag}", n_videos=1, cfg=cfg)
        (video_id,) = plan.video_ids
        generate_video_masklets.fn(plan.round_id, video_id, settings=settings, config=cfg)
        (masklet_id,) = [int(m) for m in round_masklets(ws.catalog, plan.round_id)["masklet_id"]]
        assert not [p for p in label_studio_client.projects.list()
                    if (p.title or "").startswith(f"maskloop r{plan.round_id}:")]
        project_id = open_round_review(ws, plan.round_id, review_ui(ws))
        video = get_video(ws.catalog, int(video_id))
    ls = label_studio_client
    tasks = [t.model_dump(mode="json") for t in ls.tasks.list(project=project_id, fields="all")]
    (task,) = [t for t in tasks if t["data"].get("masklet_id") == masklet_id]  # not a video's other tasks
    data = task["data"]
    # the task's frames are s3:// URIs, served to the page through Label Studio's resolver
    first_frame = int(data["frame_indices"][0])
    uris = [base64.b64decode(parse_qs(urlsplit(f).query)["fileuri"][0]).decode() for f in data["frames"]]
    assert uris == [f"s3://{settings.s3_bucket}/{video.frame_key(int(k))}" for k in data["frame_indices"]]
    height, width = int(data["height"]), int(data["width"])
    assert (height, width) == (video.height, video.width) == (SIZE, SIZE)
    with open_workspace(settings) as ws:
        frame = np.asarray(Image.open(io.BytesIO(ws.store.get_bytes(video.frame_key(first_frame))))
                           .convert("RGB"), np.int32)
    (page1,) = [r for r in task["predictions"][0]["result"] if r["type"] == "brushlabels"
                and r["item_index"] == 0]
    mask = rle_to_mask(page1["value"]["rle"], height=height, width=width) >= 128
    assert mask.any(), "the prediction of page 1 is empty: nothing to see"
    prepared = time.monotonic()

    email, password = label_studio_admin(stack.dir)
    with headless_chromium() as browser:
        page = new_page(browser)
        login_label_studio(page, stack.label_studio_url, email, password)
        page.goto(f"{stack.label_studio_url}/projects/{project_id}/data?task={task['id']}")
        page.wait_for_selector(".lsf-main-view__annotation")
        page.wait_for_function(READY_JS, arg=[IMG, list(LABEL_RGB)], timeout=90_000, polling=250)
        page.wait_for_timeout(500)  # let Konva finish the frame it is drawing
        opened = time.monotonic()
        page.screenshot(path=str(tmp_path / "review.png"))
        shown = _sample_layers(page)

        # (a) the frame: loaded at the video's size, the stored frame, and drawn on screen
        assert shown["complete"] and (shown["W"], shown["H"]) == (width, height) == (video.width, video.height)
        assert min(shown["shown"]) > 0
        assert np.abs(shown["img"][..., :3] - frame).mean() <= 3
        assert (shown["img"][..., 3] == 255).all()
        opaque = [layer for layer in shown["layers"] if (layer["px"][..., 3] == 255).mean() > 0.99]
        assert opaque, "no Konva layer covers the frame: the frame is not drawn"
        assert min(np.abs(layer["px"][..., :3] - frame).mean() for layer in opaque) <= 8

        # (b) the brush overlay: drawn where the page-1 mask is, on a visible layer, in the label colour
        region = max(shown["layers"], key=lambda layer: int(layer["label"].sum()))
        drawn = region["label"]
        assert region["opacity"] > 0 and region["display"] != "none" and region["visibility"] == "visible"
        assert _iou(drawn, mask) >= 0.9, (int(drawn.sum()), int(mask.sum()), _iou(drawn, mask))
        assert (drawn & ~mask).sum() <= 0.05 * mask.sum()
        # the overlay is not the frame: outside the mask the region layer is transparent
        assert (region["px"][..., 3][~mask] > 0).mean() < 0.05

        # control: with the Regions panel's "Hide all regions" the label colour leaves every layer
        # while the frame stays; shown again, the overlay comes back
        page.locator("button[aria-label='Hide all regions']").click()
        page.wait_for_function(f"(a) => !({READY_JS})(a)", arg=[IMG, list(LABEL_RGB)], polling=250)
        hidden = _sample_layers(page)
        assert not any(layer["label"].any() for layer in hidden["layers"])
        assert min(np.abs(layer["px"][..., :3] - frame).mean() for layer in hidden["layers"]
                   if (layer["px"][..., 3] == 255).mean() > 0.99) <= 8
        page.locator("button[aria-label='Show all regions']").click()
        page.wait_for_function(READY_JS, arg=[IMG, list(LABEL_RGB)], polling=250)

        # (c) the header with the frame numbers, the pager, the verdict choices
        header = page.locator(".lsf-main-view__annotation h4").first
        assert header.is_visible() and header.inner_text().strip() == data["context"]
        assert "check first: page" in data["context"] and str(first_frame) in data["context"]
        pager = page.locator(".lsf-pagination__page-indicator")
        assert pager.is_visible() and " ".join(pager.inner_text().split()) == f"1 of {len(data['frames'])}"
        first_choice = page.locator("label.lsf-choice__checkbox").first.bounding_box()
        verdicts_below_fold = first_choice is not None and first_choice["y"] > page.viewport_size["height"]
        choices = {}
        for value in CHOICE_TO_VERDICT:
            label = page.locator("label.lsf-choice__checkbox", has=page.locator(f"input[name='{value}']"))
            label.scroll_into_view_if_needed()
            assert label.is_visible() and label.inner_text().split("[")[0].strip() == value
            choices[value] = label

        # (d) a person's verdict: tick satisfactory, Submit
        choices["satisfactory"].click()
        assert page.locator("input[name='satisfactory']").is_checked()
        assert not page.locator("input[name='unsatisfactory']").is_checked()
        page.screenshot(path=str(tmp_path / "verdicts.png"))
        submit = page.locator(".lsf-bottombar button[name=submit]")
        assert submit.is_visible() and submit.inner_text().strip() == "Submit"
        submit.click()
        page.locator(".lsf-bottombar button", has_text="Update").wait_for(state="visible")
        page.screenshot(path=str(tmp_path / "submitted.png"))
        submitted = time.monotonic()

    annotations = _wait("the submitted annotation in Label Studio",
                        lambda: [a for a in ls.annotations.list(id=task["id"]) if not a.was_cancelled])
    assert len(annotations) == 1
    results = [r if isinstance(r, dict) else r.model_dump() for r in annotations[0].result]
    assert [r["value"]["choices"] for r in results if r["type"] == "choices"] == [["satisfactory"]]
    # Label Studio pre-fills the person's annotation with the prediction: every page's brush region
    # is submitted with it (unchanged, so the sync sees no edited frame)
    assert sum(r["type"] == "brushlabels" for r in results) == len(data["frames"])
    with open_workspace(settings) as ws:
        synced = sync_round_reviews(ws, plan.round_id, review_ui(ws))
        again = sync_round_reviews(ws, plan.round_id, review_ui(ws))  # idempotent
        reviews = round_reviews(ws.catalog, plan.round_id)
        status = round_masklets(ws.catalog, plan.round_id).set_index("masklet_id").loc[masklet_id, "status"]
    assert (synced.recorded, synced.rejected) == (1, 0) and again.recorded == 0
    assert len(reviews) == 1
    review = reviews.iloc[0]
    assert int(review["masklet_id"]) == masklet_id and review["verdict"] == "satisfactory"
    assert int(review["frames_edited"]) == 0 and review["reviewer"] == email
    assert str(review["external_id"]).startswith(f"label-studio:{project_id}:{annotations[0].id}:")
    assert status == "accepted"
    print(f"\nbrowser review: prepare {prepared - started:.1f} s, page ready {opened - prepared:.1f} s, "
          f"checks + submit {submitted - opened:.1f} s, sync {time.monotonic() - submitted:.1f} s; "
          f"overlay IoU {_iou(drawn, mask):.3f} ({int(mask.sum())} mask px); "
          f"verdicts below the fold: {verdicts_below_fold}; regions submitted: "
          f"{sum(r['type'] == 'brushlabels' for r in results)}; screenshots in {tmp_path}")
