"""The seed loader refuses what no export could carry, as every other write does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph.errors import SeedValidationError
from graph.seed import load_seed_dir


def _broken(mini_copy: Path, change: Any) -> list[str]:
    seed = mini_copy / "mini.json"
    data = json.loads(seed.read_text(encoding="utf-8"))
    change(data)
    seed.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SeedValidationError) as caught:
        load_seed_dir(mini_copy)
    return [f"{p.path}: {p.reason}" for p in caught.value.problems]


def test_a_control_character_in_a_label_is_refused(mini_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["entities"][0]["label"] = "Alpha\x0bLand"

    assert any(
        p.startswith("$.entities[0].label: ") and "control character U+000B" in p
        for p in _broken(mini_copy, change)
    )


def test_nan_in_a_quantity_is_refused(mini_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        event = data["events"][0]
        event["quantities"] = [
            {
                "value": float("nan"),
                "unit": "soldier",
                "qualifier": "exact",
                "measure": "count",
                "text": "many",
                "evidence": event["evidence"],
            }
        ]

    assert any(
        p.startswith("$.events[0].quantities[0].value: ") for p in _broken(mini_copy, change)
    )
