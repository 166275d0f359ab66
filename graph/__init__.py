"""geokg's library core: the model, ontology, store, queries, seed loader and exporters.

Knows nothing of HTTP; ``app/`` is a thin FastAPI layer over it.

Examples
--------
>>> from pathlib import Path
>>> import graph
>>> store = graph.load_seed_dir(graph.DEFAULT_SEEDS)  # doctest: +SKIP
"""

from pathlib import Path

from graph.errors import GeokgError, NodeNotFoundError, NoPathError, SeedValidationError
from graph.seed import load_seed_dir
from graph.store import GraphStore

__all__ = [
    "DEFAULT_SEEDS",
    "GeokgError",
    "GraphStore",
    "NoPathError",
    "NodeNotFoundError",
    "SeedValidationError",
    "load_seed_dir",
]

DEFAULT_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
"""The repository's seed directory (the default of the ``GEOKG_SEEDS`` setting)."""
