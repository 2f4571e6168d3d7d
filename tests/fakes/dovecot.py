"""A real IMAP server for the email tests: Debian's Dovecot, started in a tmp dir on a free loopback port
with one passwd-file user, and stopped after. Nothing outside the tmp dir is read or changed."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "inbox@cafe.test", "imap-test-password"
INSTALL_HINT = "the email tests need Dovecot: apt-get install dovecot-imapd (.ci/run and `make test` install it)"


@dataclass(frozen=True, slots=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _mail_owner() -> tuple[int, int]:
    """Dovecot never opens mail as root; as root the mailbox belongs to `nobody`, else to us."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def _config(folder: Path, port: int, uid: int, gid: int) -> str:
    # As root, Dovecot's own unprivileged users (the package makes them); otherwise everything runs as us.
    if os.geteuid() == 0:
        login = "default_login_user = dovenull\ndefault_internal_user = dovecot\n"
    else:
        user = pwd.getpwuid(os.getuid()).pw_name
        login = f"default_login_user = {user}\ndefault_internal_user = {user}\n"
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{folder}/mail/%u
{login}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = {folder}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%u
}}
"""


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited: {log.read_text() if log.exists() else ''}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("dovecot did not start listening in 30 seconds")


@contextmanager
def dovecot() -> Iterator[ImapServer]:
    """Dovecot's own processes (auth as `dovecot`, mail as `nobody` when we are root) must reach the files,
    so it gets a folder of its own under the system tmp dir, which pytest's private tmp dirs are not."""
    if not Path(DOVECOT).exists():
        raise RuntimeError(INSTALL_HINT)
    folder = Path(tempfile.mkdtemp(prefix="socialdesk-dovecot-"))
    folder.chmod(0o711)
    try:
        with _running(folder) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _running(folder: Path) -> Iterator[ImapServer]:
    uid, gid = _mail_owner()
    for sub in ("run", "state", "mail"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    os.chown(folder / "mail", uid, gid)
    (folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (folder / "users").chmod(0o644)  # a test password, read by Dovecot's auth process
    port = free_port()
    config = folder / "dovecot.conf"
    config.write_text(_config(folder, port, uid, gid))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, process, folder / "dovecot.log")
        yield ImapServer("127.0.0.1", port, USER, PASSWORD)
    finally:
        process.terminate()
        process.wait(timeout=10)
