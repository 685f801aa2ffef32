"""Bench files: instruments (driver, resource, role, options, simulator parameters), the
register entries a bench uses, its environment, lab and operator.

``load_bench(path)`` checks a bench file without opening anything; ``.open(clock)`` builds
it into a ``Bench``. What a family makes of the bench's standards (the weighing family
choosing weights for a load) lives in the family, over ``standard_parts()``.
"""

from labctl.bench.config import BenchConfig, InstrumentConfig, load_bench
from labctl.bench.runtime import Bench

__all__ = ["Bench", "BenchConfig", "InstrumentConfig", "load_bench"]
