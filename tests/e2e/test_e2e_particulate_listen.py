"""The PM monitor read the other HJ 212 way: labctl listens to the logger's own uploads
(``mode: listen``), acknowledges each with 9014, and the procedure's results are the
same kind as when polling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from particulate_support import by_test, pm_bench, run_pm


def test_the_procedure_on_a_listening_platform(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import labctl.bench.runtime as runtime

    opened: list[Any] = []
    real_open = runtime.open_bench

    def open_bench(*args: Any, **kwargs: Any) -> Any:
        opened.append(real_open(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(runtime, "open_bench", open_bench)

    def edit(data: dict[str, Any]) -> None:
        monitor = data["instruments"]["monitor"]
        monitor["options"].update(mode="listen", timeout="30 s")
        monitor["sim"].update(upload_interval="10 s", gain=1.0, offset="0 ug/m^3",
                              drift="0 ug/m^3/d", kappa=0.0)

    result = run_pm(tmp_path, pm_bench(tmp_path, edit), seed=4)
    for p in by_test(result, "indication_error"):
        assert abs(p.error.value) <= p.expanded_uncertainty.value, p
    assert len(by_test(result, "response_time")) == 3
    logger = opened[0].devices["monitor"]
    acks = [f for f in logger.received if f.cn == "9014"]
    assert len(acks) > 100 and not [f for f in logger.received if f.cn == "2011"]
