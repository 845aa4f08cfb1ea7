"""``maskloop demo``: the data engine end to end on embedded defaults only.

SQLite catalog, local object store, Prefect's ephemeral mode and MLflow on SQLite, all under
``<workdir>/home``; the oracle reviewer; generated surgical-like videos written as mp4 files and
ingested with their ground truth. Each round: create (champion, unannotated training videos) ->
generate -> oracle review / refine -> close -> commit NAME@N -> retrain (MLflow) -> evaluate and
promote. Ends with ``<workdir>/report.html``. Running it again in the same workdir starts over
(its ``home`` and ``videos`` folders are replaced).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flows.cycle.config import CycleConfig
from flows.cycle.round_report import RoundStats
from flows.programs.engine_phases import PhaseResult
from flows.settings import Settings

DATASET = "demo"

Step = Callable[[str], None]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoConfig:
    """Size of the demo: videos of ``size`` x ``size`` px with ``n_frames`` frames; the cycle's knobs.

    The 128 px clips are upscaled 4x for the default network, which then rates its first-frame masks
    lower (predicted IoU 0.24-0.51, stability 0.18-0.59 on the demo's videos, 2026-12-02) than on
    480p video, so the demo's filters are 0.3 / 0.3 instead of the cycle's 0.5 / 0.5.
    """

    videos_per_round: int = 3
    n_val: int = 2
    n_frames: int = 8
    size: int = 128
    fps: int = 6
    cycle: CycleConfig = field(default_factory=lambda: CycleConfig(
        points_per_side=8, pred_iou_thresh=0.3, stability_thresh=0.3, max_masks=6, review_passes=1,
        train_steps=80, train_lr=1e-3, train_clip_len=4, train_max_objects=2,
        train_origins=("auto", "manual")))


@dataclass(frozen=True)
class DemoResult:
    """Per-round figures, the report file and the wall time in seconds."""

    rounds: tuple[RoundStats, ...]
    report: Path
    seconds: float
    phases: tuple[PhaseResult, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"phases": [p.as_json() for p in self.phases], "rounds": [{"round": k, "round_id": s.round_id, "proposed": s.proposed, "accepted": s.accepted,
                            "rejected": s.rejected, "acceptance_rate": round(s.acceptance_rate, 4),
                            "frames_edited_per_accepted": round(s.frames_edited_per_accepted, 4),
                            "clicks_per_accepted": round(s.clicks_per_accepted, 4),
                            "val_JF": None if s.trained_val_JF is None else round(s.trained_val_JF, 4),
                            "champion_JF": None if s.champion_JF is None else round(s.champion_JF, 4),
                            "promoted": s.promoted, "champion": s.champion_after, "dataset_version": s.dataset_version}
                           for k, s in enumerate(self.rounds, 1)],
                "report": str(self.report), "seconds": round(self.seconds, 1)}


def demo_settings(workdir: Path) -> Settings:
    """Embedded defaults under ``<workdir>/home``, whatever the environment configures."""
    return Settings(_env_file=None, home=(Path(workdir) / "home").resolve(), database_url=None,  # type: ignore[call-arg]
                    s3_endpoint=None, mlflow_tracking_uri=None, prefect_api_url=None, label_studio_url=None,
                    sample_fps=6.0, device="cpu", default_model="builtin:default", actor="demo",
                    role="data_manager", promotion_margin=0.0)


def run_demo(workdir: Path, *, rounds: int = 2, config: DemoConfig = DemoConfig(), step: Step | None = None,
             progress: Progress | None = None) -> DemoResult:
    """Run ``rounds`` full rounds (see module docstring); ``step``/``progress`` report what happens."""
    from flows.cycle.annotation_round import run_round
    from flows.cycle.create_round import create_round
    from flows.cycle.ingest import ingest
    from flows.cycle.round_report import round_stats
    from flows.cycle.runtime import prefect_runtime
    from flows.cycle.workspace import open_workspace
    from flows.programs.demo_data import make_demo_videos
    from flows.report.html_report import write_report

    started = time.monotonic()
    workdir = Path(workdir)
    for own in (workdir / "home", workdir / "videos"):  # a rerun starts over (only the demo's own folders)
        if own.is_dir():
            shutil.rmtree(own)
    settings = demo_settings(workdir)
    say = step or (lambda _text: None)
    say(f"generating {config.videos_per_round * rounds + config.n_val} surgical-like videos")
    videos = make_demo_videos(workdir / "videos", n_train=config.videos_per_round * rounds, n_val=config.n_val,
                              n_frames=config.n_frames, size=config.size, fps=config.fps,
                              split_fractions=config.cycle.split_fractions)
    round_ids = []
    say("starting Prefect (ephemeral mode)")
    with prefect_runtime(settings):
        say(f"ingesting {len(videos)} videos with their ground truth")
        ingest(DATASET, [v.item() for v in videos], settings=settings)
        for k in range(1, rounds + 1):
            say(f"round {k}: creating")
            plan = create_round(DATASET, config.videos_per_round, settings=settings, config=config.cycle)
            round_ids.append(plan.round_id)
            run_round(plan.round_id, reviewer="oracle", retrain=True, settings=settings, config=config.cycle,
                      step=say, progress=progress)
    say("annotation phases 1-3 on the same training videos (click-level simulated annotator)")
    phases = demo_phases([v for v in videos if v.split == "train"], settings.default_model, config.cycle, say)
    with open_workspace(settings) as ws:
        say("writing the report")
        report = write_report(ws, round_ids, workdir / "report.html", title="maskloop demo",
                              phases=[p.as_json() for p in phases])
        stats = tuple(round_stats(ws, r) for r in round_ids)
    return DemoResult(rounds=stats, report=report, seconds=time.monotonic() - started, phases=phases)


def demo_phases(videos: list, model_ref: str, cycle: CycleConfig, say: Step) -> tuple[PhaseResult, ...]:
    """SAM 2's three annotation phases (:mod:`flows.programs.engine_phases`) on the demo's training
    videos with the first champion; phase 3's proposals use the demo cycle's generation settings."""
    from flows.programs.demo_data import read_demo_video
    from flows.programs.engine_phases import automatic_proposals, run_phases
    from model.automask.config import AutoMaskConfig
    from model.network.refs import load_model

    model = load_model(model_ref, device="cpu")
    gen = AutoMaskConfig(points_per_layer=(cycle.points_per_side,), pred_iou_thresh=cycle.pred_iou_thresh,
                         stability_score_thresh=cycle.stability_thresh, max_masks=cycle.max_masks,
                         min_mask_region_area=cycle.min_region_area)
    clips = [(v.path.stem, *read_demo_video(v)) for v in videos]
    return tuple(run_phases(model, clips, proposals=automatic_proposals(model, gen), on_step=say))
