"""Running the embedded PostgreSQL as root: PostgreSQL refuses to, so an unprivileged
system account owns the cluster and runs the server."""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path
from typing import TypedDict

from runtime.errors import RuntimeServiceError

logger = logging.getLogger(__name__)

SERVER_ACCOUNT = "talentloop-pg"


def server_account() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(SERVER_ACCOUNT)
    useradd = shutil.which("useradd")
    if useradd is None:
        raise RuntimeServiceError(
            "PostgreSQL cannot run as root and `useradd` is missing to create the"
            f" {SERVER_ACCOUNT!r} account — run as a normal user or set DATABASE_URL"
        )
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            useradd,
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            SERVER_ACCOUNT,
        ],
        capture_output=True,
        check=False,
    )
    try:
        # Looked up even when useradd failed: a concurrent run may have created it.
        return pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        error = result.stderr.decode("utf-8", errors="replace").strip()
        raise RuntimeServiceError(
            f"could not create the {SERVER_ACCOUNT!r} account for PostgreSQL: {error}"
        ) from None


class RunAs(TypedDict, total=False):
    user: int
    group: int
    extra_groups: list[int]


def account_kwargs(account: pwd.struct_passwd | None) -> RunAs:
    """Popen arguments dropping root to `account` (and root's supplementary groups)."""
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def let_account_reach(account: pwd.struct_passwd, path: Path) -> None:
    """Give "others" search (x, not read) permission on `path` and its ancestors.

    The server account must traverse to its data dir and binaries, e.g. through pytest's
    0700 /tmp/pytest-of-root. Search-only permission does not let it list anything.
    """
    for directory in [path, *path.parents]:
        info = directory.stat()
        if info.st_uid == account.pw_uid or info.st_mode & stat.S_IXOTH:
            continue
        logger.info("allowing %s to traverse %s (chmod o+x)", SERVER_ACCOUNT, directory)
        directory.chmod(stat.S_IMODE(info.st_mode) | stat.S_IXOTH)


def check_binaries_usable_by_others(bin_path: Path) -> None:
    # Not fixed silently: making files inside the virtualenv world-readable is the
    # developer's call, and pip normally installs them that way already.
    postgres = bin_path / "postgres"
    if not postgres.stat().st_mode & stat.S_IXOTH:
        install = bin_path.parent
        raise RuntimeServiceError(
            f"the {SERVER_ACCOUNT!r} account cannot run {postgres} — run"
            f" `chmod -R o+rX {install}` or set DATABASE_URL"
        )


def chown_tree(root: Path, account: pwd.struct_passwd) -> None:
    # PostgreSQL requires the data dir to belong to the account running it; a cluster
    # created by a previous non-root run (or copied in) is handed over once.
    if root.stat().st_uid == account.pw_uid:
        return
    for directory, _dirs, files in os.walk(root):
        os.chown(directory, account.pw_uid, account.pw_gid)
        for name in files:
            os.lchown(os.path.join(directory, name), account.pw_uid, account.pw_gid)
