"""docker/compose.yml cannot be run here (no Docker engine): these tests read it and check
that its parts fit together: PostgreSQL, the schema migration, three replicas that follow the
store and report readiness, and a proxy whose servers are those replicas, checked on /ready."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.e2e.serving import ROOT

COMPOSE = ROOT / "docker" / "compose.yml"
PROXY = ROOT / "docker" / "haproxy.cfg"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_three_replicas_share_the_postgres_store_after_the_migration() -> None:
    services = _compose()["services"]
    replicas = sorted(name for name in services if name.startswith("replica-"))
    assert replicas == ["replica-1", "replica-2", "replica-3"]
    postgres = services["postgres"]["environment"]
    url = f"postgresql://{postgres['POSTGRES_USER']}:"
    assert services["migrate"]["command"] == ["geokg", "migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ["migrate", *replicas]:
        env = services[name]["environment"]
        assert env["GEOKG_DB"].startswith(url) and "@postgres:5432/" in env["GEOKG_DB"]
        assert env["GEOKG_DB"].endswith(f"/{postgres['POSTGRES_DB']}")
    volumes = set()
    for name in replicas:
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "/ready" in " ".join(service["healthcheck"]["test"])
        assert float(service["environment"]["GEOKG_MAX_LAG"]) > 0
        model = service["environment"]["GEOKG_MODEL"]
        (volume,) = service["volumes"]
        source, target = volume.split(":")
        assert model.startswith(target + "/")  # the saved read model outlives the container
        volumes.add(source)
    assert len(volumes) == 3  # one per replica
    assert volumes <= set(_compose()["volumes"])


def test_the_proxy_sends_requests_only_to_ready_replicas() -> None:
    services = _compose()["services"]
    proxy = services["proxy"]
    assert any(v.startswith("./haproxy.cfg:") for v in proxy["volumes"])
    assert "127.0.0.1:8000:8000" in proxy["ports"]
    config = PROXY.read_text()
    assert re.search(r"^\s*option httpchk GET /ready$", config, re.M)
    assert re.search(r"^\s*http-check expect status 200$", config, re.M)
    servers = re.findall(r"^\s*server (\S+) (\S+):8000 check$", config, re.M)
    replicas = sorted(name for name in services if name.startswith("replica-"))
    assert sorted(servers) == [(name, name) for name in replicas]
    # ...and, when none is ready, any that is up (backups, used only then).
    backups = re.findall(r"^\s*server (\S+)-any (\S+):8000 backup$", config, re.M)
    assert sorted(backups) == [(name, name) for name in replicas]
