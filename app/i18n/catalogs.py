"""Compiled catalogues (`.mo`) are built from the `.po` files, never committed: this brings
them up to date when the app starts, so every entry point (web, CLI, tests) reads fresh ones."""

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)


def stale_catalogs(directory: Path) -> list[Path]:
    """`.po` files under *directory* whose `.mo` is missing or older."""
    stale = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_catalog(po: Path) -> Path:
    """Write *po*'s `.mo` next to it (atomically: another process may be reading it)."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    mo = po.with_suffix(".mo")
    handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        os.replace(temporary, mo)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return mo


def ensure_compiled(directory: Path) -> int:
    """Compile every stale catalogue under *directory*; returns how many were compiled. A
    read-only install keeps what it has (and says so): its setup compiled them."""
    compiled = 0
    for po in stale_catalogs(directory):
        try:
            compile_catalog(po)
            compiled += 1
        except OSError as error:
            log.warning("cannot compile %s (%s): run `make i18n`", po, error)
    return compiled
