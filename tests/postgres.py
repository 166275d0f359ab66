"""The tests' throwaway PostgreSQL cluster: :mod:`bench.postgres` holds it, since the benchmark
starts one too (tests may import bench; bench never imports tests)."""

from bench.postgres import PostgresCluster, postgres_bin

__all__ = ["PostgresCluster", "postgres_bin"]
