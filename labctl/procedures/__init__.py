"""Procedures: the YAML schema, the plan, the runner with its journal, and resume.

Import what you use from the submodules; this package imports nothing heavy itself::

    from labctl.procedures.loading import load_procedure
    from labctl.procedures.plan_context import PlanContext
    from labctl.procedures.planner import make_plan
    from labctl.procedures.launch import run_procedure
    from labctl.procedures.resume import resume_run
    from labctl.procedures.journal import read_journal

``schema``, ``plan`` and ``runner`` gather (re-export) the names of the smaller modules:

* the procedure file (``schema``): ``model_base`` (the pydantic base, scalar types),
  ``action_models`` (the actions of a step), ``procedure_model`` (the procedure, its
  steps, roles, conditions, parameters), ``loading`` (reading and validating the file),
  ``parameters`` (``--param`` overrides, the parameters' values); ``checks`` (the checks
  across the file) and ``values`` (the expressions of its values);
* the plan (``plan``): ``plan_data`` (the plan, its steps, points and actions),
  ``plan_context`` (what the plan needs from the bench, roles bound), ``planner``
  (``make_plan``), ``plan_loads`` (the weights on each receptor as the plan goes),
  ``plan_values`` (the plan's values evaluated and checked);
* the run (``runner``): ``launch`` (``run_procedure``, ``plan_run``), ``run_loop`` (the
  ``Runner``), ``teardown`` (safe states and the last events on every way out),
  ``run_outcome`` (``RunOutcome``, ``RunAborted``), ``bench_access`` (what the runner
  needs of a bench); ``actions`` (executing one planned action), ``environment`` (the
  conditions watched), ``state`` (the run's state machine, pause and abort),
  ``journal`` (the run's journal) and ``resume`` (continuing a run from its journal).
"""
