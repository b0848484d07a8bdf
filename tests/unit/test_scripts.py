"""The set-up script: switching between run.sh, test.sh and build.sh installs only what is missing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_venv(tmp_path: Path) -> Path:
    """A venv whose python only records how pip was asked to install."""
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/pip.log\n')
    python.chmod(0o755)
    return tmp_path


def make_venv(venv: Path, extras: str) -> list[str]:
    """Run setup.sh's make_venv; return the pip install lines it ran."""
    log = venv / "pip.log"
    log.write_text("")
    subprocess.run(
        ["bash", "-c", f'source "{ROOT}/scripts/setup.sh"; make_venv "{extras}"'],
        env={"PATH": "/usr/bin:/bin", "LOOPGUI_VENV": str(venv / "venv"), "SKIP_APT": "1"},
        check=True,
        timeout=60,
    )
    return [line for line in log.read_text().splitlines() if " -e " in line]


def test_switching_between_scripts_installs_only_what_is_missing(fake_venv: Path) -> None:
    first = make_venv(fake_venv, "[test]")  # test.sh
    assert len(first) == 1 and first[0].endswith(f"{ROOT}[test]")
    assert make_venv(fake_venv, "") == []  # run.sh: the test venv has everything it needs
    assert make_venv(fake_venv, "[test]") == []  # test.sh again
    build = make_venv(fake_venv, "[test,build]")  # build.sh adds one extra, keeps the other
    assert len(build) == 1 and build[0].endswith(f"{ROOT}[test,build]")
    assert make_venv(fake_venv, "") == [] and make_venv(fake_venv, "[test]") == []


def test_a_changed_pyproject_installs_again(fake_venv: Path) -> None:
    make_venv(fake_venv, "")
    stamp = fake_venv / "venv" / ".loopgui-installed"
    stamp.write_text("0000000000000000 none\n")  # as if pyproject.toml had changed since
    again = make_venv(fake_venv, "")
    assert len(again) == 1 and again[0].endswith(f"-e {ROOT}")


def test_run_sh_passes_any_verb_on(tmp_path: Path) -> None:
    """``./scripts/run.sh explain …`` runs the terminal verb (``loopgui`` itself is not on PATH)."""
    import sys

    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    # pip is recorded, not run; everything else goes to the Python running these tests.
    python.write_text(f'#!/bin/sh\n[ "$1 $2" = "-m pip" ] && exit 0\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    result = subprocess.run(
        [str(ROOT / "scripts" / "run.sh"), "explain", "--json", "connect ECONNREFUSED 127.0.0.1:9"],
        env={"PATH": "/usr/bin:/bin", "LOOPGUI_VENV": str(tmp_path / "venv"), "SKIP_APT": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert '"error_kind": "refused"' in result.stdout


def test_debian_mirror_always_exits_zero_for_ci() -> None:
    """.ci/run takes the archive with `mirror="$(packaging/debian_mirror.sh)"` under `set -e`: a missing sources file
    must mean "no mirror" (empty output), never a failed CI run."""
    script = ROOT / "packaging" / "debian_mirror.sh"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" or done.stdout.startswith(("http://", "https://"))
    env = {**os.environ, "DEBIAN_MIRROR": "http://mirror.invalid/debian"}
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=30, check=False, env=env)
    assert (done.returncode, done.stdout) == (0, "http://mirror.invalid/debian\n")
