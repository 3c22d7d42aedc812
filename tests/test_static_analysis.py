"""Security linting as part of the suite, so CI runs it: bandit finds no medium- or
high-severity issue that has not been reviewed (reviewed lines carry `# nosec` with the
rule id and, in the neighbouring `noqa`, the reason)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "healthscore", "api", "reports", "demo", "webhooks", "workspace", "scoring", "signals",
    "surveys", "jobs", "audit", "accounts",
)  # fmt: skip


def test_bandit_reports_no_unreviewed_medium_or_high_issue():
    result = subprocess.run(
        [
            sys.executable, "-m", "bandit", "-q", "-r", *APPS, "-x", "*/migrations/*",
            "--severity-level", "medium",
            "-f", "custom", "--msg-template", "{relpath}:{line} {test_id} {msg}",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
