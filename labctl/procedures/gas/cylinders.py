"""``select_cylinder``: turn a stream selector (``stream_selector`` role) to a port and
wait until the rotor is in place; the event ``cylinder_selected`` journals the port and
the register id of the cylinder plumbed to it, which the analyses read (the journal, not
the bench, says which gas the analyzer saw at each point)::

    - select_cylinder: {role: selector, port: port, components: [CO2, CH4],
                        timeout: 30 s}

Refused before anything moves:

- at load time, a step whose points give an ``analysis_function_fit`` of that step fewer
  distinct ports than the fitted function needs (ISO 6143: more calibration points than
  coefficients; a straight line needs 3, a quadratic 4), at the step's ``points``;
- at plan time, a port with no cylinder on the bench, a cylinder that does not certify
  each of ``components``, and fewer distinct cylinders in the step than the fit needs,
  at the action's or the step's ``file:line:col``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field, PrivateAttr

from labctl.errors import ConfigError, RunError
from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution
from labctl.procedures.model_base import Scalar
from labctl.procedures.plan_data import PlannedAction
from labctl.procedures.planning import Planning, PlanState

#: The analysis whose needs this action checks, and its option naming the function.
FIT_ANALYSIS = "analysis_function_fit"


def points_needed(function: str) -> int:
    """Calibration points a fit of ``function`` needs (coefficients + 1)."""
    from labctl.uncertainty.fit_functions import FUNCTIONS

    return FUNCTIONS[function].parameters + 1


class _StepCylinders(PlanState):
    """The cylinders each step's points select (counted once per step)."""

    key: ClassVar[str] = "gas_step_cylinders"

    def __init__(self, planning: Planning) -> None:
        super().__init__(planning)
        self.checked: set[str] = set()


class SelectCylinderAction(Action):
    kind: ClassVar[str] = "select_cylinder"
    capability: ClassVar[str | None] = "stream_selector"
    expressions: ClassVar[tuple[str, ...]] = ("port", "timeout")
    role: str
    port: Scalar
    components: list[str] = Field(default_factory=list)
    timeout: Scalar = "30 s"

    _step_index: int = PrivateAttr(-1)
    _needs: list[tuple[int, str, str]] = PrivateAttr(default_factory=list)

    def check(self, check: Any) -> None:
        proc, step = check.procedure, check.step
        self._step_index = check.step_index
        self._needs = []
        for i, spec in enumerate(proc.analyses):
            if spec.analysis != FIT_ANALYSIS or step.id not in spec.steps:
                continue
            function = str(spec.options.get("function", "linear"))
            try:
                need = points_needed(function)
            except KeyError:
                continue  # the analysis's own options check names the unknown function
            self._needs.append((need, function, proc.where("analyses", i)))
        if check.section != "actions" or not self._needs:
            return
        ports = _literal_ports(self.value("port"), step.point_values)
        need, function, where = max(self._needs)
        if ports is not None and len(ports) < need:
            raise ConfigError(
                f"step {step.id!r} gives {len(ports)} distinct calibration point"
                f"{'s' if len(ports) != 1 else ''} (ports {', '.join(map(str, ports))}) but "
                f"the {function} fit of {FIT_ANALYSIS} (at {where}) needs at least {need}",
                where=proc.where("steps", check.step_index, "points")
                if step.points else check.where(),
                hint="add cylinders (points) to the step, or fit a function with fewer "
                     "coefficients; nothing was run")

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        selector = planning.roles.get(self.role)
        port = _port(planning.evaluate(self.value("port"), namespace, f"{what}: port"),
                     what, self.where)
        timeout = planning.seconds(self.value("timeout"), namespace, f"{what}: timeout",
                                   positive=True)
        cylinder = self._cylinder(selector, port, what)
        self._check_step(planning, selector, what)
        return PlannedAction(self.kind, self.where, self.role,
                             {"port": port, "cylinder": cylinder, "timeout": timeout})

    def _cylinder(self, selector: Any, port: int, what: str) -> str:
        label = getattr(selector, "name", self.role)
        cylinder = selector.cylinder_at(port)
        if cylinder is None:
            raise RunError(f"{what}: port {port} of {label!r} has no cylinder on this bench",
                           where=self.where,
                           hint="plumb a cylinder to the port (the selector's option ports:) "
                                "or change the procedure's points")
        contents = (getattr(selector, "cylinders", {}).get(cylinder) or {}).get("contents")
        for component in self.components:
            if contents is not None and component not in contents:
                raise RunError(f"{what}: cylinder {cylinder} on port {port} does not certify "
                               f"{component} (it certifies {', '.join(contents)})",
                               where=self.where,
                               hint="plumb a cylinder certified for every component the "
                                    "procedure calibrates")
        return str(cylinder)

    def _check_step(self, planning: Planning, selector: Any, what: str) -> None:
        """Once per step: the distinct cylinders its points select, against the fit."""
        state = planning.state(_StepCylinders)
        if self._step_index < 0 or not self._needs:
            return
        step = planning.procedure.steps[self._step_index]
        if step.id in state.checked:
            return
        state.checked.add(step.id)
        cylinders = set()
        for j, point in enumerate(step.point_values or [{}]):
            namespace = {**planning.namespace}
            for name, value in point.items():
                namespace[name] = planning.evaluate(value, namespace,
                                                    f"point {j + 1}: {name}")
            label = f"{step.id} point {j + 1}"
            port = _port(planning.evaluate(self.value("port"), namespace, f"{label}: port"),
                         label, self.where)
            cylinders.add(self._cylinder(selector, port, label))
        need, function, where = max(self._needs)
        if len(cylinders) < need:
            at = planning.procedure.where("steps", self._step_index, "points") \
                if step.points else self.where
            raise RunError(
                f"step {step.id!r} selects {len(cylinders)} distinct cylinder"
                f"{'s' if len(cylinders) != 1 else ''} on this bench "
                f"({', '.join(sorted(cylinders)) or 'none'}) but the {function} fit of "
                f"{FIT_ANALYSIS} (at {where}) needs at least {need}", where=at,
                hint="plumb more cylinders (the selector's ports:) or fit a function with "
                     "fewer coefficients; nothing was run")

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        a = action.args
        selector = ex.instruments[action.role]
        selector.select(a["port"])
        start = ex.now()
        while selector.position() != a["port"]:
            if ex.now() - start > a["timeout"]:
                from labctl.errors import InstrumentError

                raise InstrumentError(f"the valve did not reach port {a['port']} within "
                                      f"{a['timeout']:g} s", instrument=selector.name,
                                      command="CP", hint="check the valve's actuator")
            ex.sleep(0.2)
        ex.emit("cylinder_selected", **ex.tags, role=action.role, port=a["port"],
                cylinder=a["cylinder"], standards=[a["cylinder"]])

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        a = action.args
        return f"select {action.role} port {a['port']} (cylinder {a['cylinder']})"


def _port(value: Any, what: str, where: str) -> int:
    number = getattr(value, "magnitude", value)
    if getattr(value, "units", None) is not None and not value.dimensionless:
        number = None
    if isinstance(number, bool) or not isinstance(number, int | float) \
            or number != int(number) or number < 1:
        raise RunError(f"{what}: port {value!r} is not a port number (1, 2, ...)",
                       where=where)
    return int(number)


def _literal_ports(value: Any, points: list[dict[str, Any]]) -> list[Any] | None:
    """The distinct literal ports the points give, or None when they are only known at
    plan time (an expression over parameters)."""
    if value.kind == "literal":
        return [value.value]
    if value.kind == "expression" and len(value.names) == 1 and points:
        name = value.names[0]
        found = []
        for point in points:
            v = point.get(name)
            if v is None or v.kind != "literal":
                return None
            if v.value not in found:
                found.append(v.value)
        return found if str(value.source).strip() == name else None
    return None
