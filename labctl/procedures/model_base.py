"""What every model of the procedure file shares: the pydantic base and the scalar types.

The models themselves are in ``labctl.procedures.action_models`` (the actions of a step)
and ``labctl.procedures.procedure_model`` (the procedure, its steps, roles, conditions).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

Scalar = str | int | float
PointValue = str | bool | int | float


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              arbitrary_types_allowed=True)
