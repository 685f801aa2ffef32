"""What one step lends to the budgets of another: the repeatability's standard
deviation, the eccentricity's largest difference to the centre, the zero error found by
change point. Pure functions of the journal view."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from labctl.analysis.weighing.context import Context
from labctl.analysis.weighing.error_budget import Extras, Noise, ZeroCorrection, error_budget
from labctl.analysis.weighing.indication import Indication
from labctl.analysis.weighing.journal_view import StepView

_SAME = 1e-9  # relative spread below which repeated values count as equal


@dataclass(frozen=True)
class Series:
    """Repeated weighings of one nominal load."""

    nominal: float
    indications: tuple[Indication, ...]

    @property
    def values(self) -> list[float]:
        return [i.value for i in self.indications if i.value is not None]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def s(self) -> float | None:
        """Standard deviation of one weighing (None for fewer than 2 values). Values
        equal but for float rounding (P = I + d/2 - dL + s/2 summed in another order) give 0,
        not 1e-16: a spurious tiny s with n - 1 dof would make the Welch-Satterthwaite
        dof of a budget astronomically large instead of infinite."""
        v = self.values
        if len(v) < 2:
            return None
        if max(v) - min(v) <= _SAME * max(abs(x) for x in v):
            return 0.0
        return statistics.stdev(v)


def repeatability_series(ctx: Context, view: StepView) -> list[Series]:
    """The points of ``view`` grouped by nominal load (in plan order of first use)."""
    groups: dict[float, list[Indication]] = {}
    keys: list[float] = []
    for point in view.points:
        ind = ctx.indication(point)
        key = _key(ind.load.nominal, ctx.plate.d)
        if key not in groups:
            groups[key] = []
            keys.append(key)
        groups[key].append(ind)
    return [Series(groups[k][0].load.nominal, tuple(groups[k])) for k in keys]


def _key(nominal: float, d: float) -> float:
    # loads equal to well within a scale interval are the same load
    return round(nominal / d * 1000) / 1000


@dataclass(frozen=True)
class EccentricitySpread:
    load: float           # nominal load of the eccentricity test
    max_difference: float  # largest |I_position - I_centre|


def eccentricity_spread(ctx: Context, view: StepView) -> EccentricitySpread | None:
    """The largest difference of the errors at the positions to the error at the centre."""
    errors: dict[str, float] = {}
    load = 0.0
    for point in view.points:
        ind = ctx.indication(point)
        if ind.value is None or ind.reading.position is None:
            continue
        errors[ind.reading.position] = ind.value - ind.load.mass
        load = max(load, ind.load.nominal)
    if "centre" not in errors or len(errors) < 2:
        return None
    centre = errors["centre"]
    diff = max(abs(v - centre) for k, v in errors.items() if k != "centre")
    return EccentricitySpread(load, diff)


@dataclass(frozen=True)
class ZeroResult:
    """One measurement of the zero step's E0, and the ``seq`` of its ``point_finished``."""

    finished_seq: int
    correction: ZeroCorrection


def zero_corrections(ctx: Context, noise: Noise | None = None) -> tuple[ZeroResult, ...]:
    """E0 by change point from the option ``zero_step``: of each measurement of that step
    (the first one, and one more each time a resume measured it again: ``on_resume:
    redo``), its first found change point, in journal order. E0 = P - L0 with P centred
    in the last step, as in the zero-setting test and in the points it corrects."""
    view = ctx.other_step("zero_step")
    if view is None:
        return ()
    found: dict[int, ZeroResult] = {}
    for point in sorted(view.points, key=lambda p: p.finished_seq):
        measurement = len(point.earlier_attempts)
        if measurement in found:
            continue
        ind = ctx.indication(point)
        if ind.change_point is None or ind.value is None:
            continue
        mpe = ctx.table.zero_setting_mpe * ctx.plate.e
        options = {**ctx.budget_options(), "monte_carlo": 0}
        result = error_budget(ind, ctx.plate, mpe, zero_rounding=False,
                              extras=Extras(repeatability=noise), **options)
        label = point.point if not point.earlier_attempts \
            else f"{point.point} attempt {point.attempt}"
        found[measurement] = ZeroResult(point.finished_seq, ZeroCorrection(
            result.value, result.standard_uncertainty, result.effective_dof, label, ind))
    return tuple(sorted(found.values(), key=lambda z: z.finished_seq))


def zero_correction(ctx: Context, finished_seq: int | None = None) -> ZeroCorrection | None:
    """The E0 that applies to a point whose attempt finished at ``finished_seq``: of the
    zero step's measurement that most recently precedes it in the journal (the first
    measurement when none precedes it, or without ``finished_seq``)."""
    return pick_zero(zero_corrections(ctx, pooled_noise(ctx)), finished_seq)


def pool(series: tuple[Series, ...] | list[Series]) -> tuple[float, float] | None:
    """The pooled standard deviation of one determination over ``series`` and its dof:
    s_p^2 = sum (n_i - 1) s_i^2 / sum (n_i - 1) (GUM H.3.6 / cg-18 7.1.1.2); None
    without a series of two or more."""
    usable = [x for x in series if x.s is not None and x.n >= 2]
    dof = sum(x.n - 1 for x in usable)
    if not dof:
        return None
    var = sum((x.n - 1) * x.s ** 2 for x in usable) / dof  # type: ignore[operator]
    return math.sqrt(var), float(dof)


def noise_of(pooled: tuple[float, float] | None, step: float | None, unit: str,
             source: str) -> Noise | None:
    """The noise term of a determination: the pooled s, never below what a change-point
    search resolves (``step``/sqrt(12), a Type B floor with infinite dof); None when
    there is neither."""
    floor = step / math.sqrt(12) if step else 0.0
    if pooled is None:
        if not floor:
            return None
        return Noise(floor, math.inf, f"no repeatability series: floor step/sqrt(12) = "
                                      f"{floor:.4g} {unit}")
    s, dof = pooled
    if s < floor:
        return Noise(floor, math.inf, f"pooled s = {s:.4g} {unit} ({dof:g} dof, {source}) "
                                      f"below the search's resolution: step/sqrt(12) = "
                                      f"{floor:.4g} {unit}")
    return Noise(s, dof, f"s pooled over the series of {source}: {s:.4g} {unit}, "
                         f"{dof:g} dof")


def pooled_noise(ctx: Context) -> Noise | None:
    """The noise term for a zero search (its step from the zero step's change point)."""
    view = ctx.other_step("repeatability_step")
    series = repeatability_series(ctx, view) if view is not None else []
    step = None
    zero_view = ctx.other_step("zero_step")
    if zero_view is not None:
        for point in zero_view.points:
            cp = ctx.indication(point).change_point
            if cp is not None:
                step = cp.step
                break
    return noise_of(pool(series), step, ctx.plate.unit,
                    f"step {view.step!r}" if view is not None else "the run")


def pick_zero(zeros: tuple[ZeroResult, ...],
              finished_seq: int | None) -> ZeroCorrection | None:
    if not zeros:
        return None
    chosen = zeros[0]
    if finished_seq is not None:
        for z in zeros:
            if z.finished_seq < finished_seq:
                chosen = z
    return chosen.correction


@dataclass(frozen=True)
class Borrowed:
    """What the steps named in the options lend, computed once per analysis call."""

    unit: str
    series: tuple[Series, ...] = ()
    repeatability_step: str = ""
    spread: EccentricitySpread | None = None
    eccentricity_step: str = ""
    zeros: tuple[ZeroResult, ...] = ()
    pooled: tuple[float, float] | None = None
    eccentricity_dropped: bool = False

    @property
    def zero(self) -> ZeroCorrection | None:
        """E0 of the zero step's first measurement."""
        return pick_zero(self.zeros, None)

    @classmethod
    def create(cls, ctx: Context, *, repeatability: bool = True, eccentricity: bool = True,
               zero: bool = True) -> Borrowed:
        rep_view = ctx.other_step("repeatability_step") if repeatability else None
        ecc_view = ctx.other_step("eccentricity_step") if eccentricity else None
        dropped = ecc_view is not None and ctx.verification
        if dropped:
            ecc_view = None  # a verification tests eccentricity against its own MPE
        series = tuple(s for s in repeatability_series(ctx, rep_view) if s.s is not None) \
            if rep_view is not None else ()
        spread = eccentricity_spread(ctx, ecc_view) if ecc_view is not None else None
        return cls(
            unit=ctx.plate.unit, series=series,
            repeatability_step=rep_view.step if rep_view is not None else "",
            spread=spread if spread is not None and spread.load > 0 else None,
            eccentricity_step=ecc_view.step if ecc_view is not None else "",
            zeros=zero_corrections(ctx, pooled_noise(ctx)) if zero else (),
            pooled=pool(series), eccentricity_dropped=dropped,
        )

    def noise(self, step: float | None) -> Noise | None:
        source = f"step {self.repeatability_step!r}" if self.repeatability_step else "the run"
        if not self.series and not step:
            return None
        return noise_of(self.pooled, step, self.unit, source)

    def extras(self, load: float, *, change_point: bool,
               finished_seq: int | None = None, step: float | None = None
               ) -> tuple[Extras, list[str]]:
        """The borrowed components for a point at ``load``, and notes saying where from.
        The noise of one determination is the repeatability s pooled over every series
        (floored at ``step``/sqrt(12) for a change-point search of that step). The zero
        error corrects only an error found by change point; it is the E0 of the zero
        step's measurement that most recently precedes the point's finished attempt
        (``finished_seq``; a resume may have measured the zero again, ``on_resume:
        redo``)."""
        notes: list[str] = []
        noise = self.noise(step if change_point else None)
        if noise is not None:
            notes.append(f"noise of one determination: {noise.basis}")
        ecc = None
        if self.spread is not None:
            # EURAMET cg-18 7.1.1.3: half-width |dE|max * L / (2 L_ecc)
            ecc = self.spread.max_difference * load / (2 * self.spread.load)
            notes.append(f"eccentricity: largest difference to the centre "
                         f"{self.spread.max_difference:.4g} {self.unit} at "
                         f"{self.spread.load:g} {self.unit} (step {self.eccentricity_step!r})")
        elif self.eccentricity_dropped:
            notes.append("eccentricity not in the budget: a verification tests it against "
                         "its own MPE (R 76-1 3.6.2)")
        zero = pick_zero(self.zeros, finished_seq) if change_point else None
        if zero is not None:
            notes.append(f"zero error E0 = {zero.value:.4g} {self.unit} from "
                         f"{zero.point} subtracted (corrected error Ec = E - E0)")
        return Extras(repeatability=noise, eccentricity=ecc, zero=zero), notes
