"""pg_dump / pg_restore as subprocesses, streamed through our writers (PostgreSQL only)."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.services.backups.artifact import CHUNK, Writer
from app.services.backups.manifest import BackupError


def find_tool(name: str, engine: sa.Engine) -> str:
    """The path of pg_dump/pg_restore (PG_BIN_DIR, else PATH), or how to install it."""
    found = shutil.which(name, path=current_app.config.get("PG_BIN_DIR") or None)
    if found:
        return found
    with engine.connect() as conn:
        major = int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    raise BackupError(
        _(
            "%(tool)s was not found (searched %(where)s). PostgreSQL backups need the PostgreSQL "
            "client tools of the server's major version (%(major)s) or newer: on Debian/Ubuntu "
            "`apt-get install postgresql-client-%(major)s`, on RHEL/Fedora `dnf install "
            "postgresql%(major)s`, on macOS `brew install libpq`. Then put them on PATH or set "
            "PG_BIN_DIR to their directory.",
            tool=name,
            where=current_app.config.get("PG_BIN_DIR") or "PATH",
            major=major,
        )
    )


def connection_args(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq URI for --dbname (no password in it, so none in the process list) and the env
    carrying the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def dump(engine: sa.Engine, snapshot: str, out: Writer) -> None:
    """Stream `pg_dump --format=custom` of the exported *snapshot* into *out*."""
    uri, env = connection_args(engine.url)
    command = [find_tool("pg_dump", engine), "--format=custom", "--no-password"]
    command += [f"--snapshot={snapshot}", f"--dbname={uri}"]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)
        try:
            while chunk := process.stdout.read(CHUNK):
                out.write(chunk)
        except BaseException:
            process.kill()
            raise
        finally:
            process.stdout.close()
            code = process.wait()
        if code != 0:
            raise BackupError(_("pg_dump failed: %(error)s", error=_tail(errors)))


def restore(engine: sa.Engine, chunks: Iterable[bytes]) -> None:
    """Feed a custom-format dump to pg_restore in one transaction (all or nothing)."""
    uri, env = connection_args(engine.url)
    command = [find_tool("pg_restore", engine), "--no-owner", "--no-privileges", "--no-password"]
    command += ["--single-transaction", "--exit-on-error", f"--dbname={uri}"]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
            bufsize=0,  # unbuffered: closing stdin cannot fail on a flush after pg_restore quit
        )
        try:
            for chunk in chunks:
                process.stdin.write(chunk)
            process.stdin.close()
        except BrokenPipeError:
            pass  # pg_restore stopped early; its exit code and stderr say why
        except BaseException:
            process.kill()
            raise
        finally:
            code = process.wait()
        if code != 0:
            raise BackupError(_("pg_restore failed: %(error)s", error=_tail(errors)))


def _tail(errors) -> str:
    errors.seek(0)
    return errors.read()[-2000:].decode("utf-8", "replace").strip() or "?"
