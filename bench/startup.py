"""Cold start and idle memory, as the owner feels them on the default backend.

    python bench/startup.py [--runs 5] [--idle-seconds 2] [--json]

Makes a new folder with `socialdesk init`, then:
- starts `printf 'what time do you open?\\n' | socialdesk chat` `--runs` times, each a new process and a new
  customer (a repeat would be held for the owner), and times it from the start of the process to the first
  answer on its stdout, and to its exit; prints min and median of each;
- starts `socialdesk run` (SQLite, no platform accounts, no terminal), waits for its channel list and then
  until it has used no CPU for `--idle-seconds`, and prints its resident memory (VmRSS) and peak (VmHWM)
  from /proc, in MiB.

The cache is warm, as it is on the owner's machine after the first start: one chat runs before the timed
ones, so the trained model is in .socialdesk-cache, the database exists and Python's bytecode is written
(PYTHONDONTWRITEBYTECODE is dropped for the processes this starts: an installed socialdesk has its bytecode).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOCIALDESK = str(Path(sys.executable).parent / "socialdesk")
QUESTION = "what time do you open?\n"


def environment() -> dict[str, str]:
    """This environment without platform accounts, another database or a bytecode ban."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "X_", "DATABASE_", "EMAIL_",
                                                                     "WHATSAPP_", "MESSENGER_", "INSTAGRAM_", "META_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("SOCIALDESK_CONFIG", None)
    return env


def initialise(folder: Path, env: dict[str, str]) -> None:
    subprocess.run([SOCIALDESK, "init", str(folder)], env=env, check=True, stdout=subprocess.DEVNULL)


def one_chat(folder: Path, env: dict[str, str], customer: str) -> tuple[float, float]:
    """Seconds from starting `socialdesk chat` to its first answer, and to its exit."""
    start = time.perf_counter()
    process = subprocess.Popen([SOCIALDESK, "chat", "--as", customer], cwd=folder, env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(QUESTION)
    process.stdin.close()
    process.stdin = None  # written and closed: communicate() below only reads
    first = process.stdout.readline()
    answered = time.perf_counter() - start
    rest, errors = process.communicate(timeout=120)
    exited = time.perf_counter() - start
    if process.returncode != 0 or ": " not in first:  # the first line is the business answering
        raise SystemExit(f"socialdesk chat failed (exit {process.returncode}): {errors.strip() or first + rest}")
    return answered, exited


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def memory_kib(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in lines) if k in ("VmRSS", "VmHWM")}


def wait_until_idle(pid: int, quiet_seconds: float, timeout: float = 120) -> None:
    """Until the process has used no CPU time for `quiet_seconds` (one clock tick of slack)."""
    deadline = time.monotonic() + timeout
    last, since = cpu_ticks(pid), time.monotonic()
    while time.monotonic() - since < quiet_seconds:
        if time.monotonic() > deadline:
            raise SystemExit("socialdesk run never went idle: is something busy?")
        time.sleep(0.1)
        now = cpu_ticks(pid)
        if now - last > 1:
            last, since = now, time.monotonic()


def idle_run(folder: Path, env: dict[str, str], quiet_seconds: float) -> dict[str, float]:
    process = subprocess.Popen([SOCIALDESK, "run"], cwd=folder, env=env, text=True, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    try:
        for line in process.stdout:  # the channel list ends with the console's line
            if line.lstrip().startswith("console"):
                break
        else:
            raise SystemExit(f"socialdesk run ended before it was up (exit {process.wait()})")
        wait_until_idle(process.pid, quiet_seconds)
        memory = memory_kib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"rss_mib": round(memory["VmRSS"] / 1024, 1), "peak_mib": round(memory["VmHWM"] / 1024, 1)}


def measure(runs: int, quiet_seconds: float) -> dict[str, float]:
    env = environment()
    with tempfile.TemporaryDirectory(prefix="socialdesk-startup-") as name:
        folder = Path(name)
        initialise(folder, env)
        one_chat(folder, env, "Warm")  # trains and caches the model, creates the database, writes bytecode
        timings = [one_chat(folder, env, f"Customer{number}") for number in range(runs)]
        memory = idle_run(folder, env, quiet_seconds)
    answered, exited = [t[0] for t in timings], [t[1] for t in timings]
    return {"runs": runs, "answer_min_s": round(min(answered), 3), "answer_median_s": round(statistics.median(answered), 3),
            "exit_min_s": round(min(exited), 3), "exit_median_s": round(statistics.median(exited), 3), **memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = measure(args.runs, args.idle_seconds)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"socialdesk chat, {figures['runs']} cold runs: first answer min {figures['answer_min_s']} s, "
          f"median {figures['answer_median_s']} s; exit min {figures['exit_min_s']} s, median {figures['exit_median_s']} s")
    print(f"socialdesk run, idle: RSS {figures['rss_mib']} MiB, peak {figures['peak_mib']} MiB")


if __name__ == "__main__":
    main()
