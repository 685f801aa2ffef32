"""labctl.yamlio: YAML as data, every key and item with its file:line:column."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from labctl.errors import ConfigError
from labctl.yamlio import LocatedDict, LocatedList, load_yaml, loads_yaml, validation_error, where

TEXT = """\
name: bench
instruments:
  scale:
    driver: mtsics-scale
    options: {max: 15 kg, e: 5 g}
standards: [M1-A, CP-A]
"""


def test_keys_and_items_know_their_place() -> None:
    data = loads_yaml(TEXT, "b.yaml")
    assert isinstance(data, LocatedDict) and isinstance(data["standards"], LocatedList)
    assert data.where("instruments") == "b.yaml:2:1"
    assert where(data, ["instruments", "scale", "driver"]) == "b.yaml:4:5"
    assert where(data, ["instruments", "scale", "options", "e"]) == "b.yaml:5:27"
    assert where(data, ["standards", 1]) == "b.yaml:6:19"
    # a path that does not exist stops at the deepest place that does
    assert where(data, ["instruments", "scale", "nope", "deeper"]) == "b.yaml:3:3"


def test_malformed_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError) as err:
        loads_yaml("a: [1, 2\nb: 3\n", "x.yaml")
    assert str(err.value).startswith("x.yaml:") and "malformed YAML" in str(err.value)


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    with pytest.raises(ConfigError) as err:
        loads_yaml("a: 1\nb: 2\na: 3\n", "x.yaml")
    assert str(err.value).startswith("x.yaml:3:1: duplicate key 'a' (first at line 1)")


def test_an_impossible_date_is_an_error_not_a_crash() -> None:
    with pytest.raises(ConfigError, match="not a valid date"):
        loads_yaml("due: 2027-13-01\n", "r.yaml")


def test_nothing_is_ever_constructed_from_tags() -> None:
    with pytest.raises(ConfigError):
        loads_yaml("x: !!python/object/apply:os.system ['true']\n", "evil.yaml")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_yaml(tmp_path / "nope.yaml")


def test_a_pydantic_error_points_at_the_bad_key() -> None:
    class Options(pydantic.BaseModel):
        max: str
        e: int

    data = loads_yaml(TEXT, "b.yaml")
    try:
        Options.model_validate(data["instruments"]["scale"]["options"])
    except pydantic.ValidationError as exc:
        err = validation_error(exc, data["instruments"]["scale"]["options"], "b.yaml")
    assert str(err).startswith("b.yaml:5:27: e: ")
