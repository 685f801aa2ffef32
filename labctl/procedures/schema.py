"""The procedure file (docs/contracts.md, "Procedure YAML"): pydantic models and loader.

``load_procedure(path)`` reads the YAML through ``labctl.yamlio`` (so every key keeps its
``file:line:col``), validates its shape with pydantic, then runs the checks across the
file (``labctl.procedures.checks``). Every refusal is one ``ConfigError`` naming the
place in the file. ``resolve_parameters`` gives the parameters' values with the
``--param`` overrides.

The names live in smaller modules and are re-exported here, the import path the rest of
labctl and the tests use:

* ``labctl.procedures.model_base``: the pydantic base and the scalar types;
* ``labctl.procedures.action_models``: the actions (``Action``, ``LoadAction``...,
  ``ACTIONS``, ``AnyAction``) and ``POSITIONS``;
* ``labctl.procedures.procedure_model``: ``Procedure``, ``Step``, ``RoleSpec``,
  ``Conditions`` and the ranges, ``ParameterSpec``, ``AnalysisSpec``;
* ``labctl.procedures.loading``: ``load_procedure``, ``loads_procedure``,
  ``procedure_from_data``;
* ``labctl.procedures.parameters``: ``parse_overrides``, ``resolve_parameters``.
"""

from __future__ import annotations

from labctl.procedures.action_models import (
    ACTIONS,
    POSITIONS,
    Action,
    AnyAction,
    ChangePointAction,
    ClearTareAction,
    LoadAction,
    PromptAction,
    ReadAction,
    TareAction,
    UnloadAction,
    WaitAction,
    ZeroAction,
)
from labctl.procedures.loading import load_procedure, loads_procedure, procedure_from_data
from labctl.procedures.model_base import PointValue, Scalar
from labctl.procedures.parameters import parse_overrides, resolve_parameters
from labctl.procedures.procedure_model import (
    AnalysisSpec,
    Conditions,
    Duration,
    Humidity,
    HumidityRange,
    ParameterSpec,
    Pressure,
    PressureRange,
    Procedure,
    RoleSpec,
    Step,
    Temperature,
    TemperatureRange,
)

__all__ = [
    "ACTIONS", "POSITIONS", "Action", "AnalysisSpec", "AnyAction", "ChangePointAction",
    "ClearTareAction", "Conditions", "Duration", "Humidity", "HumidityRange", "LoadAction",
    "ParameterSpec", "PointValue", "Pressure", "PressureRange", "Procedure", "PromptAction",
    "ReadAction", "RoleSpec", "Scalar", "Step", "TareAction", "Temperature",
    "TemperatureRange", "UnloadAction", "WaitAction", "ZeroAction", "load_procedure",
    "loads_procedure", "parse_overrides", "procedure_from_data", "resolve_parameters",
]
