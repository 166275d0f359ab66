"""geokg's HTTP layer: a thin FastAPI application over the :mod:`graph` library."""
