"""The translation catalogs are complete and in step with the code: every
sentence translated in every language, no placeholder dropped or invented,
the compiled catalogs the bot reads made from the current sources."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from bot.locale.__main__ import KEYWORD_SPECS, LOCALE_DIR, sources
from bot.messages import MESSAGES, Message, languages
from tests.commands import every_command

TRANSLATED = [code for code in languages() if code != "en"]
COMMANDS = every_command()


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def po(language: str) -> Catalog:
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "kenniscafe.po", "rb") as f:
        return read_po(f, locale=language)


def test_dutch_is_one_of_the_languages() -> None:
    assert "nl" in TRANSLATED


def _extracted() -> set[tuple[str | None, str]]:
    return {(context, msgid if isinstance(msgid, str) else msgid[0])
            for source in sources()
            for _, msgid, _, context in extract_from_file("python", str(source), keywords=KEYWORD_SPECS)}


def test_the_template_holds_exactly_the_sentences_and_verbs_of_the_code() -> None:
    extracted = _extracted()
    assert extracted == {(m.key, m.one) for m in MESSAGES.values()} | {(None, c.name) for c in COMMANDS}
    with open(LOCALE_DIR / "kenniscafe.pot", "rb") as f:
        template = read_po(f)
    assert {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id} == extracted, \
        "kenniscafe.pot is out of date: run python -m bot.locale"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_command_verb_is_translated(language: str) -> None:
    catalog = po(language)
    untranslated = [c.name for c in COMMANDS if not (entry := catalog.get(c.name)) or not entry.string or entry.fuzzy]
    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_sentence_is_translated_with_its_placeholders(language: str) -> None:
    catalog = po(language)
    problems = []
    for message in MESSAGES.values():
        entry = catalog.get(_msgid(message), context=message.key)
        if entry is None or entry.fuzzy:
            problems.append(f"{message.key}: {'fuzzy' if entry else 'missing'}")
            continue
        forms = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if not all(forms):
            problems.append(f"{message.key}: not translated")
            continue
        wanted = placeholders(message.other or message.one)
        for index, form in enumerate(forms):
            got = placeholders(form)
            # A singular may spell its number out ("one member") and leave it out.
            allowed_missing = {message.by} if message.by and index == 0 and len(forms) > 1 else set()
            if not (wanted - allowed_missing <= got <= wanted):
                problems.append(f"{message.key}: {sorted(got)} where the English has {sorted(wanted)}")
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_is_made_from_the_current_po(language: str) -> None:
    fresh = BytesIO()
    write_mo(fresh, po(language))
    fresh.seek(0)
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "kenniscafe.mo", "rb") as f:
        shipped = read_mo(f)
    compiled = read_mo(fresh)
    assert {(m.context, str(m.id)): m.string for m in compiled if m.id} == \
           {(m.context, str(m.id)): m.string for m in shipped if m.id}, \
        "kenniscafe.mo is out of date: run python -m bot.locale"


def _msgid(message: Message) -> str | tuple[str, str]:
    return message.one if message.other is None else (message.one, message.other)


def test_a_plain_install_ships_the_compiled_catalogs(tmp_path: Path) -> None:
    """The wheel pip builds holds every language's .mo (no compile step at install)."""
    root = Path(__file__).resolve().parents[2]
    source = tmp_path / "source"  # a copy: building writes build/ and egg-info beside the sources
    for name in ("bot", "adapters", "storage", "jobs"):
        shutil.copytree(root / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("kenniscafe-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for language in TRANSLATED:
        assert f"bot/locale/{language}/LC_MESSAGES/kenniscafe.mo" in names


# Operator tools speak English by design: the command line, its reports, the
# config checker and the console's own commands (a member never sees them).
OPERATOR_MODULES = {"bot/config.py", "adapters/cli.py", "adapters/outbox_report.py", "adapters/transfer_cli.py",
                    "adapters/migrate_data_cli.py",
                    "adapters/runtime.py", "adapters/startup.py", "adapters/console/adapter.py",
                    "adapters/console/terminal.py", "bot/messages.py", "bot/locale/__main__.py",
                    # /healthz and /metrics: read by operators and Prometheus, never by a member
                    "adapters/ops/metrics.py", "adapters/ops/server.py"}
# Text that is not a sentence for a member: command words, ids, error contexts for the log.
NOT_SENTENCES = {"event new", "event nieuw", "event new ", "-//Kenniscafe bot//EN", "command failed",
                 "the first sync", "logging in", "syncing with ", "asking who we are",
                 # CLDR date patterns: Babel fills in each language's names
                 "EEE d MMM y HH:mm", "EEE d MMM HH:mm",
                 # the web pages: a chart's font stack and HTTP headers
                 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
                 'inline; filename="', 'attachment; filename="overview.csv"'}
# Calls whose text goes to the log or to the operator, not to a member.
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "command", "TextArg"}
# Commands shown as code: verbs, which every language accepts.
COMMAND_CALLS = {"Code", "typed_command", "verb"}
ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,}[,;:!?’']?\s+[A-Za-z]{2,}")


def english_outside_the_catalogs(path: Path, relative: str) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}

    def for_the_log(node: ast.AST) -> bool:
        parent = parents.get(id(node))
        while parent is not None:
            if isinstance(parent, ast.Raise):
                return True
            if isinstance(parent, ast.Call):
                name = parent.func.attr if isinstance(parent.func, ast.Attribute) else getattr(parent.func, "id", "")
                if name in LOG_CALLS | COMMAND_CALLS:
                    return True
            parent = parents.get(id(parent))
        return False

    return [f"{relative}:{node.lineno}: {node.value[:60]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and ENGLISH_WORDS.search(node.value) and node.value not in NOT_SENTENCES and not for_the_log(node)]


def test_no_sentence_for_members_is_written_outside_the_catalogs() -> None:
    root = Path(__file__).resolve().parents[2]
    found = []
    for package in ("bot", "adapters"):
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative not in OPERATOR_MODULES:
                found += english_outside_the_catalogs(path, relative)
    assert found == [], "put these sentences in bot/messages.py (and translate them)"
