"""README.md says only what is true of this build.

- The quick start is exactly ``make demo`` and ``make test`` (and both are Makefile targets).
- Every ``maskloop ...`` command the README shows as available exists in the CLI (group and
  sub-command) and is not a placeholder that answers "not available in this build". Commands that
  land later are written on a line that says "(coming with the ... issue)".
- Pictures, links and paths it points to exist; LICENSE is the Apache License 2.0.
"""

from __future__ import annotations

import inspect
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main

from flows.cli import groups
from flows.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
COMING = "coming with"
PLACEHOLDER = "not available in this build"
FENCE = re.compile(r"^```(\w*)\s*$")
INLINE = re.compile(r"`([^`\n]+)`")
COMMAND = re.compile(r"(?<![\w/.@-])maskloop\s+([a-z][a-z0-9-]*)(?:\s+([a-z][a-z0-9-]*)(?=\s|$))?")


@dataclass(frozen=True)
class Mention:
    line_no: int
    text: str          # the command text (code part of the line)
    available: bool    # False when its line says "coming with"
    group: str
    sub: str | None


def readme_lines() -> list[str]:
    return README.read_text(encoding="utf-8").splitlines()


def code_blocks() -> list[tuple[str, int, list[str]]]:
    """(language, first line number, lines) of every fenced block."""
    blocks, current, lang, start = [], None, "", 0
    for no, line in enumerate(readme_lines(), start=1):
        match = FENCE.match(line.strip())
        if match and current is None:
            current, lang, start = [], match.group(1), no + 1
        elif line.strip() == "```" and current is not None:
            blocks.append((lang, start, current))
            current = None
        elif current is not None:
            current.append(line)
    assert current is None, "unclosed code fence in README.md"
    return blocks


def section(title: str) -> list[str]:
    lines = readme_lines()
    starts = [i for i, line in enumerate(lines) if line.strip() == f"## {title}"]
    assert len(starts) == 1, f"README needs exactly one '## {title}' section"
    out = []
    for line in lines[starts[0] + 1:]:
        if line.startswith("## "):
            break
        out.append(line)
    return out


def commands_in(text: str) -> list[tuple[str, str | None]]:
    """(command, sub-command) of each `maskloop ...` invocation in ``text``.

    ``kubectl -n maskloop create ...`` is not one: a `maskloop` right after an option is its value.
    """
    out = []
    for m in COMMAND.finditer(text):
        before = text[: m.start()].split()
        if before and before[-1].startswith("-"):
            continue
        out.append((m.group(1), m.group(2)))
    return out


def mentions() -> list[Mention]:
    """Every `maskloop <command> [<sub>]` in code blocks and inline code spans."""
    found: list[Mention] = []
    fenced: set[int] = set()
    for lang, start, lines in code_blocks():
        for offset, line in enumerate(lines):
            fenced.add(start + offset)
            if lang == "text":  # diagrams
                continue
            code = line.split(" #", 1)[0]
            for group, sub in commands_in(code):
                found.append(Mention(start + offset, code.strip(), COMING not in line, group, sub))
    for no, line in enumerate(readme_lines(), start=1):
        if no in fenced or line.strip().startswith("```"):
            continue
        for span in INLINE.findall(line):
            for group, sub in commands_in(span):
                found.append(Mention(no, span, COMING not in line, group, sub))
    return found


def is_group(command: object) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def root_command():
    command = typer.main.get_command(app)
    assert is_group(command)
    return command


def is_placeholder(command) -> bool:
    callback = command.callback
    if callback is None:
        return False
    callback = inspect.unwrap(callback)
    return PLACEHOLDER in inspect.getsource(callback)


# --- quick start -----------------------------------------------------------------------------------

def test_quick_start_is_exactly_make_demo_and_make_test() -> None:
    body = "\n".join(section("Quick start"))
    blocks = [b for b in code_blocks() if "\n".join(b[2]) in body]
    assert blocks, "the Quick start section has no code block"
    commands = [
        line.strip() for line in blocks[0][2] if line.strip() and not line.strip().startswith("#")
    ]
    assert commands == ["make demo", "make test"]
    assert len(blocks) == 1, "the Quick start must be one block of two commands"
    assert "`make demo`" in body and "`make test`" in body, "say what each command does"


def test_every_make_target_the_readme_names_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", makefile, flags=re.MULTILINE))
    code = INLINE.findall(README.read_text(encoding="utf-8"))
    code += [line for lang, _, lines in code_blocks() if lang != "text" for line in lines]
    named = {m.group(1) for text in code for m in re.finditer(r"^\s*make ([a-z][\w-]*)", text)}
    assert {"demo", "test"} <= named
    assert named <= targets, f"README names make targets the Makefile lacks: {sorted(named - targets)}"


# --- CLI commands ----------------------------------------------------------------------------------

def test_readme_shows_the_command_groups() -> None:
    found = mentions()
    assert len(found) >= 20
    documented = {m.group for m in found}
    names = {name for name, _ in groups.GROUPS} | {name for name, _ in groups.COMMANDS}
    for group in ("stack", "ingest", "import", "dataset", "lineage", "audit", "round", "review",
                  "train", "model", "eval", "api"):
        assert group in documented, f"README never shows `maskloop {group}`"
        assert group in names


def test_every_command_shown_as_available_exists() -> None:
    root = root_command()
    names = {name for name, _ in groups.GROUPS} | {name for name, _ in groups.COMMANDS}
    problems: list[str] = []
    checked = 0
    for mention in mentions():
        if not mention.available:
            continue
        where = f"README.md:{mention.line_no} `{mention.text}`"
        if mention.group not in names or mention.group not in root.commands:
            problems.append(f"{where}: no command group `maskloop {mention.group}`")
            continue
        command = root.commands[mention.group]
        if is_group(command):
            if mention.sub is None:
                problems.append(f"{where}: name the sub-command of `maskloop {mention.group}`")
                continue
            if mention.sub not in command.commands:
                problems.append(f"{where}: `maskloop {mention.group}` has no sub-command `{mention.sub}`"
                                f" (mark it '(coming with the ... issue)' if it lands later)")
                continue
            command = command.commands[mention.sub]
        if is_placeholder(command):
            problems.append(f"{where}: this build answers '{PLACEHOLDER}'; mark it '(coming with ...)'")
        checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 10


@pytest.mark.parametrize("text,expected", [
    ("maskloop stack up --dir X", ("stack", "up")),
    ("AUDITOR_PASSWORD=x maskloop db create-auditor", ("db", "create-auditor")),
    ("maskloop ingest clips/*.mp4 --dataset d", ("ingest", None)),
    ("model maskloop-sam2 3", None),
    ("role maskloop_auditor", None),
    ("kubectl -n maskloop create secret generic x", None),
    ("docker compose run --rm worker-cpu maskloop db upgrade", ("db", "upgrade")),
])
def test_command_pattern(text: str, expected: tuple[str, str | None] | None) -> None:
    assert commands_in(text) == ([] if expected is None else [expected])


# --- pictures, links, paths, license -------------------------------------------------------------

def test_loop_picture_is_embedded_and_is_an_svg() -> None:
    text = README.read_text(encoding="utf-8")
    assert "](infra/loop.svg)" in text
    root = ET.parse(ROOT / "infra" / "loop.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    words = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for step in ("Ingest", "Auto-masklets", "Review", "Refine", "Dataset version", "Retrain",
                 "Evaluate", "Champion"):
        assert step in words
    diagrams = [lines for lang, _, lines in code_blocks() if lang == "text"]
    assert diagrams and "champion" in "\n".join(diagrams[0]), "README needs the ASCII diagram too"


def test_relative_links_and_repository_paths_exist() -> None:
    text = README.read_text(encoding="utf-8")
    links = [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not t.startswith(("http", "#"))]
    assert links
    for link in links:
        assert (ROOT / link).exists(), f"README links to missing {link}"
    anchors = [t[1:] for t in re.findall(r"\]\((#[^)\s]+)\)", text)]
    headings = {
        re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    }
    for anchor in anchors:
        assert anchor in headings, f"README links to a missing section #{anchor}"
    paths = {
        p.rstrip("/") for p in INLINE.findall(text)
        if re.fullmatch(r"(infra|flows|tests|storage|model|ui_adapters|\.ci)/[\w./-]*", p)
        and p != "infra/.env"  # the operator's own secrets file, never in the repository
    }
    assert len(paths) >= 8
    for path in paths:
        assert (ROOT / path).exists(), f"README names a path that does not exist: {path}"


def test_layers_table_lists_every_layer_folder() -> None:
    body = "\n".join(section("Layers"))
    for folder in ("flows", "model", "storage", "ui_adapters", "infra", "tests", "bench"):
        assert f"| `{folder}/` |" in body
        assert (ROOT / folder).is_dir()


def test_roles_and_production_sections_exist() -> None:
    for title in ("Data manager", "ML engineer", "Auditor", "Configuration reference",
                  "Production deployment", "Tests", "Benchmarks"):
        assert any(line.strip() for line in section(title)), f"section {title} is empty"
    production = "\n".join(section("Production deployment"))
    for service in ("minio", "postgres", "labelstudio", "mlflow", "prefect-server", "worker-gpu",
                    "worker-cpu"):
        assert f"`{service}`" in production


def test_license_is_apache_2() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "Copyright 2026 maskloop developers" in text
    assert len(text.splitlines()) > 190
