"""The gas family's analyses as plug-ins (``labctl.analyses`` entry points)."""

from __future__ import annotations

from labctl.analysis.concentration.common import check_table_choices
from labctl.analysis.gas import alarm, indication
from labctl.analysis.registry import Analysis

GAS_INDICATION_ERROR = Analysis(
    "gas_indication_error", indication.gas_indication_error, indication.DEFAULTS,
    "fiducial indication error (%FS) against a dilution calibrator and a certified cylinder",
    check_plan=check_table_choices)
ALARM_ACTION_VALUE = Analysis(
    "alarm_action_value", alarm.alarm_action_value, alarm.DEFAULTS,
    "the reading at which the alarm switches on, against the alarm set point")
