"""``maskloop bench engine``: does the data engine get better round after round on real video?

On a DAVIS root (every sequence with its ground truth), on embedded defaults under ``<workdir>``
like ``maskloop demo`` (SQLite catalog, local object store, Prefect's ephemeral mode, MLflow on
SQLite, the oracle reviewer):

1. Sequences: sorted by name, the LAST ``n_val`` are the held-out validation split, the first
   ``rounds * videos_per_round`` are the training videos, ``videos_per_round`` per round in that
   order (round k: sequences (k-1)*K .. k*K-1), so every round works on videos not seen before.
   Sequences in between are not used.
2. A working copy of those sequences (:mod:`flows.programs.davis_workcopy`: every ``stride``-th frame,
   at most ``max_frames``, ``width`` px wide) is imported with its ground truth
   (``import_davis``), and version ``NAME@1`` is committed with the splits pinned by name (held-out
   sequences ``val``, the others ``train``): the frozen validation split of every later version.
3. The shipped champion (``model``) is scored on the held-out split (round 0, the anchor).
4. Each round runs the real cycle: create (champion, next unannotated training videos) ->
   automatic masklets -> oracle review / refinement / manual drawing of missed objects -> close
   (``run_round``); then, when the round accepted something, commit ``NAME@N`` -> retrain from
   the champion on the accepted automatic and manual masklets (never on imported ground truth:
   ``train_origins``) -> promotion gate on the held-out split (``check_and_retrain``). A round
   that accepted nothing has nothing to train on; the champion stays.

Per round: the figures of :class:`flows.cycle.round_report.RoundStats` (proposed automatic
masklets, accepted, acceptance rate = accepted automatic / proposed, frames edited and clicks per
accepted masklet), the champion after the round and its J&F on the held-out split (in [0, 1], on
the working copy's frames: every later frame after a first-frame mask prompt). Rerunning in the same
workdir starts over (its ``home`` and ``davis`` folders are replaced).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from flows.cycle.config import CycleConfig
from flows.cycle.round_report import RoundStats
from flows.errors import InvalidInputError
from flows.programs.davis_workcopy import WorkCopyConfig
from flows.programs.engine_phases import PhaseResult
from flows.settings import Settings

DATASET = "davis-bench"
MARKER = ".maskloop-bench-engine"

Step = Callable[[str], None]
Progress = Callable[[int, int], None]


def default_cycle() -> CycleConfig:
    """The bench's cycle knobs: CycleConfig's generation filters (16x16 grid on the first frame, one
    layer, no crops), one oracle re-review of refined masklets, 80 training steps at lr 1e-4 on the
    accepted automatic and manual masklets only."""
    return CycleConfig(review_passes=1, train_steps=80, train_lr=1e-4, train_origins=("auto", "manual"))


@dataclass(frozen=True)
class EngineBenchConfig:
    """Size of the run (see module docstring) and the knobs of the cycle it runs."""

    rounds: int = 3
    videos_per_round: int = 3
    n_val: int = 3
    model: str = "builtin:default"
    copy: WorkCopyConfig = field(default_factory=lambda: WorkCopyConfig(stride=4, max_frames=0, width=427))
    cycle: CycleConfig = field(default_factory=default_cycle)
    phases: bool = False

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.videos_per_round < 1 or self.n_val < 1:
            raise InvalidInputError("--rounds, --videos-per-round and --val must each be at least 1")

    @property
    def n_needed(self) -> int:
        return self.rounds * self.videos_per_round + self.n_val

    def as_json(self) -> dict[str, object]:
        """The settings a run used (what a reader needs to reproduce or judge its figures)."""
        from flows.cycle.oracle_answers import OracleConfig

        c = self.cycle
        return {"model": self.model, "rounds": self.rounds, "videos_per_round": self.videos_per_round,
                "val": self.n_val, "stride": self.copy.stride, "max_frames": self.copy.max_frames,
                "width": self.copy.width, "points_per_side": c.points_per_side,
                "pred_iou_thresh": c.pred_iou_thresh, "stability_thresh": c.stability_thresh,
                "max_masks": c.max_masks, "min_region_area": c.min_region_area, "review_passes": c.review_passes,
                "train_steps": c.train_steps, "train_lr": c.train_lr, "train_clip_len": c.train_clip_len,
                "train_max_objects": c.train_max_objects, "train_origins": list(c.train_origins),
                "oracle": asdict(OracleConfig()), "phases": self.phases}


@dataclass(frozen=True)
class EngineRound:
    """One round: its sequences, RoundStats, the champion after it and that champion's held-out J&F.

    In the JSON, effort per accepted masklet is null when the round accepted nothing (the effort
    spent is still in ``frames_edited`` and ``clicks``)."""

    round: int
    sequences: tuple[str, ...]
    stats: RoundStats
    champion: str
    val_JF: float
    seconds: float

    def as_json(self) -> dict[str, object]:
        s = self.stats
        return {"round": self.round, "round_id": s.round_id, "sequences": list(self.sequences),
                "proposed": s.proposed, "accepted": s.accepted,
                "accepted_auto": round(s.acceptance_rate * s.proposed), "manual": s.manual, "rejected": s.rejected,
                "acceptance_rate": round(s.acceptance_rate, 4),
                "frames_edited_per_accepted": round(s.frames_edited_per_accepted, 4) if s.accepted else None,
                "clicks_per_accepted": round(s.clicks_per_accepted, 4) if s.accepted else None,
                "frames_edited": s.frames_edited, "clicks": s.clicks, "review_seconds": round(s.review_seconds, 1),
                "val_JF": round(self.val_JF, 4), "champion": self.champion, "dataset_version": s.dataset_version,
                "candidate": s.trained_model,
                "candidate_JF": None if s.trained_val_JF is None else round(s.trained_val_JF, 4),
                "promoted": s.promoted, "seconds": round(self.seconds, 1)}


@dataclass(frozen=True)
class EngineBenchResult:
    """The run: settings, splits, the round-0 anchor, per-round figures, report file, wall time (s)."""

    data: Path
    config: EngineBenchConfig
    frames: dict[str, int]  # sequence -> frames in the working copy
    size: tuple[int, int]  # (width, height) of the working copy's first sequence, px
    val_sequences: tuple[str, ...]
    baseline_champion: str
    baseline_JF: float
    copy_mask_JF: float
    rounds: tuple[EngineRound, ...]
    report: Path
    seconds: float
    phases: tuple[PhaseResult, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"phases": [p.as_json() for p in self.phases], "rounds": [r.as_json() for r in self.rounds],
                "baseline": {"round": 0, "champion": self.baseline_champion, "val_JF": round(self.baseline_JF, 4),
                             "copy_first_mask_JF": round(self.copy_mask_JF, 4)},
                "val_sequences": list(self.val_sequences), "frames": self.frames, "size": list(self.size),
                "settings": self.config.as_json(), "data": str(self.data), "report": str(self.report),
                "seconds": round(self.seconds, 1)}


def bench_settings(workdir: Path, model: str) -> Settings:
    """The demo's embedded defaults under ``<workdir>/home`` with ``model`` as the first champion."""
    from flows.programs.demo import demo_settings

    return demo_settings(workdir).model_copy(update={"default_model": model, "actor": "bench"})


def choose_sequences(data: Path, config: EngineBenchConfig) -> tuple[list[str], list[str]]:
    """(training sequences in round order, held-out sequences) of DAVIS root ``data``, each checked
    to have its ground truth (one mask per frame)."""
    from flows.programs.davis_workcopy import check_sequence
    from storage.importers.davis_folder import davis_sequences

    names = davis_sequences(data)
    if len(names) < config.n_needed:
        raise InvalidInputError(
            f"{data} has {len(names)} sequences; {config.rounds} rounds x {config.videos_per_round} videos + "
            f"{config.n_val} held out need {config.n_needed} (lower --rounds, --videos-per-round or --val)")
    train, val = names[:config.rounds * config.videos_per_round], names[-config.n_val:]
    for name in train + val:
        check_sequence(Path(data), name)
    return train, val


def _import(settings: Settings, root: Path, train: list[str], val: list[str], cfg: CycleConfig) -> dict[str, int]:
    """Import the working copy with ground truth, commit NAME@1 with pinned splits; name -> video id."""
    from flows.cycle.workspace import open_workspace
    from flows.services import manifest_writer
    from storage.importers.davis_importer import import_davis
    from storage.versions.commit import commit_version

    with open_workspace(settings) as ws:
        outcomes = import_davis(root, dataset=DATASET, catalog=ws.catalog, store=ws.store, with_gt=True,
                                sequences=train + val, **ws.who)
        failed = [o for o in outcomes if o.error is not None]
        if failed:
            raise InvalidInputError(f"sequence {failed[0].name}: {failed[0].error}")
        video_of = {o.name: o.video.id for o in outcomes}
        pins = {video_of[n]: ("val" if n in val else "train") for n in train + val}
        commit_version(ws.catalog, DATASET, message="imported ground truth; held-out split pinned by name",
                       split_fractions=cfg.split_fractions, pinned_splits=pins,
                       manifest_writer=manifest_writer(settings, ws.store), **ws.who)
    return video_of


def _champion_jf(settings: Settings, cfg: CycleConfig) -> tuple[str, float]:
    """The champion (name@version) and its J&F on the held-out split of the newest version (cached)."""
    from flows.cycle.champion import ensure_champion
    from flows.cycle.evaluate import evaluate_registered
    from flows.cycle.workspace import open_workspace
    from storage.versions.members import list_versions

    with open_workspace(settings) as ws:
        champion = ensure_champion(ws, cfg)
        newest = int(list_versions(ws.catalog, DATASET)["number"].max())
        scores = evaluate_registered(ws, champion, f"{DATASET}@{newest}")
    return f"{champion.ref.name}@{champion.ref.version}", float(scores["JF"])


def copy_mask_jf(settings: Settings) -> float:
    """J&F on the held-out split of copying each object's first ground-truth mask to every later
    frame (the no-model anchor of the DAVIS protocol, model/metrics/semi_supervised.py)."""
    from flows.cycle.training_data import validation_sequences
    from flows.cycle.workspace import open_workspace
    from model.metrics.semi_supervised import first_appearances
    from model.metrics.vos import SequenceScore, mean_scores, score_object

    with open_workspace(settings) as ws:
        sequences = validation_sequences(ws, f"{DATASET}@1")
    scores = []
    for seq in sequences:
        objects = []
        for obj, t0 in sorted(first_appearances(seq.id_maps).items()):
            gt = seq.id_maps == obj
            later = list(range(t0 + 1, len(gt)))
            if later:
                objects.append(score_object(obj, np.broadcast_to(gt[t0], gt.shape), gt, later))
        scores.append(SequenceScore(f"video-{seq.video_id}", tuple(objects)))
    return float(mean_scores(scores)["JF"])


def run_phase_comparison(root: Path, sequences: list[str], config: EngineBenchConfig,
                         say: Step) -> tuple[PhaseResult, ...]:
    """Phases 1-3 (:mod:`flows.programs.engine_phases`) on the working copy's training ``sequences``
    with the first champion; phase 3's proposals come from the cycle's own generation settings."""
    from flows.evaluation import read_sequence
    from flows.programs.engine_phases import automatic_proposals, run_phases
    from model.automask.config import AutoMaskConfig
    from model.network.refs import load_model

    model = load_model(config.model)
    c = config.cycle
    gen = AutoMaskConfig(points_per_layer=(c.points_per_side,), pred_iou_thresh=c.pred_iou_thresh,
                         stability_score_thresh=c.stability_thresh, max_masks=c.max_masks,
                         min_mask_region_area=c.min_region_area)
    videos = [(name, *read_sequence(root, name)) for name in sequences]
    return tuple(run_phases(model, videos, proposals=automatic_proposals(model, gen), on_step=say))


def _retrain(settings: Settings, round_id: int, cfg: CycleConfig, say: Step, progress: Progress | None) -> None:
    """Commit + retrain + gate after a round that accepted something (see module docstring, 4)."""
    from flows.cycle.auto_retrain import check_and_retrain
    from flows.cycle.workspace import open_workspace
    from storage.catalog.splits import accepted_since_last_version

    with open_workspace(settings) as ws:
        if accepted_since_last_version(ws.catalog, DATASET) == 0:
            say(f"round {round_id}: nothing accepted, nothing to retrain on; the champion stays")
            return
        say(f"round {round_id}: committing the dataset version, retraining, promotion gate")
        check_and_retrain(ws, DATASET, cfg=cfg, force=True, round_id=round_id, progress=progress)


def check_workdir(data: Path, workdir: Path) -> list[Path]:
    """The folders a run replaces (``home``, ``davis``): only those of a workdir this bench wrote
    (marker file), never folders someone else put there, never the data. Removes nothing."""
    from flows.errors import ConflictError

    data, workdir = Path(data), Path(workdir)
    owned = [workdir / "home", workdir / "davis"]
    if any(data.resolve().is_relative_to(own.resolve()) for own in owned):
        raise InvalidInputError(f"--workdir {workdir} would overwrite the data {data}; choose another --workdir")
    found = [own for own in owned if own.exists()]
    if found and not (workdir / MARKER).is_file():
        raise ConflictError(f"{found[0]} exists and was not written by `maskloop bench engine`; "
                            "choose another --workdir")
    return found


def _clear_workdir(data: Path, workdir: Path) -> None:
    """A rerun starts over (see :func:`check_workdir`); marks the workdir as the bench's."""
    for own in check_workdir(data, workdir):
        shutil.rmtree(own)
    workdir.mkdir(parents=True, exist_ok=True)
    marker = workdir / MARKER
    marker.write_text("written by maskloop bench engine; its home/ and davis/ are replaced on every run\n")


def run_engine_bench(data: Path, workdir: Path, *, config: EngineBenchConfig = EngineBenchConfig(),
                     step: Step | None = None, progress: Progress | None = None) -> EngineBenchResult:
    """Run the benchmark (see module docstring); ``step``/``progress`` report what happens."""
    from flows.cycle.annotation_round import run_round
    from flows.cycle.create_round import create_round
    from flows.cycle.round_report import round_stats
    from flows.cycle.runtime import prefect_runtime
    from flows.cycle.workspace import open_workspace
    from flows.programs.davis_workcopy import write_work_copy
    from flows.report.html_report import write_report

    started = time.monotonic()
    data, workdir = Path(data), Path(workdir)
    say = step or (lambda _text: None)
    train, val = choose_sequences(data, config)
    cfg = config.cycle
    _clear_workdir(data, workdir)
    settings = bench_settings(workdir, config.model)
    say(f"working copy of {len(train) + len(val)} sequences (1 frame in {config.copy.stride}, "
        f"at most {config.copy.max_frames or 'all'}, width {config.copy.width or 'native'})")
    copied = write_work_copy(data, workdir / "davis", train + val, config.copy)
    phases = run_phase_comparison(workdir / "davis", train, config, say) if config.phases else ()
    name_of: dict[int, str] = {}
    done: list[EngineRound] = []
    say("starting Prefect (ephemeral mode)")
    with prefect_runtime(settings):
        say(f"importing {len(copied)} sequences with their ground truth; held out: {', '.join(val)}")
        name_of = {v: n for n, v in _import(settings, workdir / "davis", train, val, cfg).items()}
        say("round 0: scoring the first champion on the held-out split")
        baseline = _champion_jf(settings, cfg)
        copy_jf = copy_mask_jf(settings)
        for k in range(1, config.rounds + 1):
            round_started = time.monotonic()
            say(f"round {k}: creating")
            plan = create_round(DATASET, config.videos_per_round, settings=settings, config=cfg)
            run_round(plan.round_id, reviewer="oracle", retrain=False, settings=settings, config=cfg, step=say,
                      progress=progress)
            _retrain(settings, plan.round_id, cfg, say, progress)
            champion, jf = _champion_jf(settings, cfg)
            with open_workspace(settings) as ws:
                stats = round_stats(ws, plan.round_id)
            done.append(EngineRound(round=k, sequences=tuple(name_of[v] for v in plan.video_ids), stats=stats,
                                    champion=champion, val_JF=jf, seconds=time.monotonic() - round_started))
    with open_workspace(settings) as ws:
        say("writing the report")
        report = write_report(ws, [r.stats.round_id for r in done], workdir / "report.html",
                              title=f"maskloop bench engine: {data.name}", phases=[p.as_json() for p in phases])
    return EngineBenchResult(data=data, config=config, frames={c.name: len(c.source_frames) for c in copied},
                             size=(copied[0].width, copied[0].height), val_sequences=tuple(val),
                             baseline_champion=baseline[0], baseline_JF=baseline[1], copy_mask_JF=copy_jf,
                             rounds=tuple(done), phases=phases,
                             report=report, seconds=time.monotonic() - started)
