"""The benchmark harness runs (on tiny sizes): it must not rot between benchmark runs."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_on_tiny_graphs_and_reports_its_data() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench", "--edges", "300", "--queries", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "command: python -m bench --edges 300 --seed 7 --queries 5" in out
    assert "synthetic 300 edges: {'entities': 75, 'events': 37, 'sources': 1, 'edges': 300}" in out
    assert out.count("shortest path (random pairs)") == 2
