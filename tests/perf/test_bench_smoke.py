"""`make bench` in miniature, so the benchmark cannot rot: three practitioners for half a
second against each bot. It checks the machinery (every bot started, answered the script
as expected, and the figures were printed), never the speed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.config import PROJECT_ROOT

pytestmark = pytest.mark.slow

KEYS = {
    "updates",
    "updates_per_s",
    "latency_ms",
    "cpu_s_per_1000_updates",
    "peak_rss_mb",
    "startup_s",
    "ratio_vs_ptb",
    "ratio_vs_aiogram",
    "cpu_ratio_vs_ptb",
    "cpu_ratio_vs_aiogram",
    "paced",
    "baselines",
    "rss_10k_cases_mb",
    "render",
    "flows_load_validate_ms",
    "machine",
    "targets_met",
}


def test_bench_smoke_prints_the_figures_for_all_three_bots() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.perf.bench", "--smoke"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result) >= KEYS
    assert result["updates"] > 0
    assert set(result["latency_ms"]) == {"p50", "p95", "p99", "max"}
    assert result["ratio_vs_ptb"] is not None
    assert result["ratio_vs_aiogram"] is not None
    runs = {
        "netwerkcoach saturation": result["saturation"],
        "netwerkcoach paced": result["paced"],
        "netwerkcoach with stored families": result["seeded_load"],
        **{f"{name} saturation": b["saturation"] for name, b in result["baselines"].items()},
    }
    assert set(result["baselines"]) == {"ptb", "aiogram"}
    for name, run in runs.items():
        assert run["updates"] > 0, name
        # The scripts follow the flows: a reply that is not the expected step means the
        # benchmark no longer walks what the bot shows.
        assert run["wrong_replies"] == 0, (name, run.get("failures"))
        assert run["timeouts"] == 0, (name, run.get("failures"))
    for command, value in result["render"].items():
        assert value == "not built yet" or value["median_ms"] > 0, (command, value)
