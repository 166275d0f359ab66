"""The library core knows nothing of HTTP."""

import subprocess
import sys


def test_importing_graph_loads_no_web_framework() -> None:
    code = (
        "import sys, graph, graph.queries, graph.seed, graph.store, graph.export, graph.formats;"
        "bad = [m for m in ('fastapi', 'starlette', 'uvicorn', 'app') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
