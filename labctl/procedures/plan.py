"""The plan: a procedure expanded, on a given bench, into every action the run will do.

``make_plan(procedure, context)`` evaluates the variables (``Max: dut.capacity`` reads
the attribute from the instrument bound to the role), expands each step's points
(``sequence: up_down`` gives the points then the reverse without the top one; ``repeat``
repeats the list; points are numbered on: ``weighing/01``, ``weighing/02``...), evaluates
the point variables and each action's values to pint quantities, and chooses the
weights of every load. Everything that can be refused before an instrument moves is
refused here, with the procedure's ``file:line:col``: a load above the most allowed, a
mass the weight set cannot make, a value of the wrong unit, an action on a role the
bench lacks or whose instrument does not have the capability.

The plan is data: ``describe()`` prints it (``labctl run --dry-run``) and ``to_event()``
gives the journal's ``plan`` event.

The names live in smaller modules and are re-exported here, the import path the rest of
labctl and the tests use:

* ``labctl.procedures.plan_data``: ``Plan``, ``PlannedStep``, ``PlannedPoint``,
  ``PlannedAction``, ``LoadGroup``, ``Receptor``, ``value_json``;
* ``labctl.procedures.plan_context``: ``PlanContext``, ``ChooseWeights``,
  ``bind_roles``, ``implements``;
* ``labctl.procedures.planner``: ``make_plan``;
* ``labctl.procedures.plan_loads``: the weight-load bookkeeping of the planner;
* ``labctl.procedures.plan_values``: evaluating and checking the plan's values.
"""

from __future__ import annotations

from labctl.procedures.plan_context import ChooseWeights, PlanContext, bind_roles, implements
from labctl.procedures.plan_data import (
    LoadGroup,
    Plan,
    PlannedAction,
    PlannedPoint,
    PlannedStep,
    Receptor,
    value_json,
)
from labctl.procedures.planner import make_plan

__all__ = [
    "ChooseWeights", "LoadGroup", "Plan", "PlanContext", "PlannedAction", "PlannedPoint",
    "PlannedStep", "Receptor", "bind_roles", "implements", "make_plan", "value_json",
]
