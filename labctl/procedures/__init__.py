"""Procedures: the YAML schema, the plan, the runner with its journal, and resume.

Import what you use from the submodules; this package imports nothing heavy itself::

    from labctl.procedures.schema import load_procedure
    from labctl.procedures.plan import PlanContext, make_plan
    from labctl.procedures.runner import run_procedure
    from labctl.procedures.resume import resume_run
    from labctl.procedures.journal import read_journal
"""
