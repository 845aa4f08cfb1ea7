"""``maskloop dataset``: Immutable dataset versions: commit, list, show, diff (export: export_cmd)."""

from __future__ import annotations

import typer

from flows.cli.context import settings_of
from flows.cli.lineage_cmd import FORMAT_OPTION, OutputFormat, print_frame

app = typer.Typer(help="Immutable dataset versions: commit, list, show, diff, export.", no_args_is_help=True)


def _fractions(text: str) -> tuple[float, float, float]:
    from storage.errors import InvalidInputError

    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError as exc:
        raise InvalidInputError(f"--splits {text!r}: give three numbers train,val,test such as 0.8,0.1,0.1") from exc
    if len(values) != 3:
        raise InvalidInputError(f"--splits {text!r}: give three numbers train,val,test such as 0.8,0.1,0.1")
    return values  # type: ignore[return-value]


@app.command("commit")
def commit(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Dataset name."),
    message: str = typer.Option(..., "--message", "-m", help="What changed and why."),
    splits: str = typer.Option("0.8,0.1,0.1", "--splits", help="train,val,test fractions for videos new to the dataset."),
    strict: bool = typer.Option(False, "--strict", help="Exit 4 instead of 0 when there is nothing to commit."),
) -> None:
    """Commit every accepted masklet revision not in the newest version as version N+1."""
    from flows import services
    from flows.cli.db_cmd import actor_of, open_catalog
    from storage.versions.commit import NothingToCommitError, commit_version
    from storage.versions.members import list_versions

    settings = settings_of(ctx)
    fractions = _fractions(splits)
    catalog = open_catalog(settings, write=True)
    store = services.object_store(settings)
    try:
        ref = commit_version(catalog,
            name, message=message, actor=actor_of(settings), role=settings.role,
            manifest_writer=services.manifest_writer(settings, store),
            split_fractions=fractions,
        )
        info = list_versions(catalog, name).iloc[-1]
    except NothingToCommitError as exc:
        if strict:
            raise
        typer.echo(str(exc))
        return
    finally:
        catalog.close()
    typer.echo(f"committed {ref.name}: +{info.n_added} added, ~{info.n_updated} updated, "
               f"-{info.n_removed} removed, {info.n_members} members; manifest sha256 {ref.manifest_sha256}")


@app.command("list")
def list_(ctx: typer.Context, name: str = typer.Argument(..., help="Dataset name."), fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Every version of a dataset, oldest first."""
    from flows.cli.db_cmd import open_catalog
    from storage.versions.members import list_versions

    catalog = open_catalog(settings_of(ctx), write=False)
    try:
        frame = list_versions(catalog, name)
    finally:
        catalog.close()
    print_frame(frame, fmt, title=f"versions of {name}")


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Dataset version NAME@N."),
    fmt: OutputFormat = FORMAT_OPTION,
    members: bool = typer.Option(False, "--members", help="List every member instead of the summary."),
) -> None:
    """Summary of a version (counts per split and origin, manifest), or its members."""
    import pandas as pd

    from flows.cli.db_cmd import open_catalog
    from storage.versions.members import get_version, version_members

    catalog = open_catalog(settings_of(ctx), write=False)
    try:
        version = get_version(catalog, ref)
        frame = version_members(catalog, ref)
    finally:
        catalog.close()
    if members:
        print_frame(frame, fmt, title=f"members of {ref}")
        return
    summary = (frame.groupby(["split", "origin"]).agg(masklets=("masklet_id", "size"), videos=("video_id", "nunique"))
               .reset_index() if not frame.empty else pd.DataFrame(columns=["split", "origin", "masklets", "videos"]))
    if fmt == OutputFormat.table:
        typer.echo(f"{version.name}  manifest {version.manifest_key}  sha256 {version.manifest_sha256}  "
                   f"{len(frame)} masklets")
    print_frame(summary, fmt, title=f"{ref} by split and origin")


@app.command("diff")
def diff(
    ctx: typer.Context,
    ref_a: str = typer.Argument(..., help="Older version NAME@A."),
    ref_b: str = typer.Argument(..., help="Newer version NAME@B."),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Masklets added, removed or changed (other revision) from NAME@A to NAME@B."""
    from flows.cli.db_cmd import open_catalog
    from storage.versions.members import diff_versions

    catalog = open_catalog(settings_of(ctx), write=False)
    try:
        frame = diff_versions(catalog, ref_a, ref_b)
    finally:
        catalog.close()
    if fmt == OutputFormat.table:
        counts = frame["change"].value_counts()
        typer.echo(f"{ref_a} -> {ref_b}: {int(counts.get('added', 0))} added, "
                   f"{int(counts.get('removed', 0))} removed, {int(counts.get('changed', 0))} changed")
    print_frame(frame, fmt, title=f"{ref_a} -> {ref_b}")
