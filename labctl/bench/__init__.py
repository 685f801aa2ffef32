"""Bench files: instruments (driver, resource, role, options, simulator parameters), the
register entries a bench uses, its environment, lab and operator.

``load_bench(path)`` checks a bench file without opening anything; ``.open(clock)`` builds
it into a ``Bench``. ``choose_weights`` picks the standard weights that make a load.
"""

from labctl.bench.config import BenchConfig, InstrumentConfig, load_bench
from labctl.bench.runtime import Bench
from labctl.bench.weight_choice import choose_weights

__all__ = ["Bench", "BenchConfig", "InstrumentConfig", "choose_weights", "load_bench"]
