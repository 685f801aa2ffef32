"""The weighing family's actions, registered in the ``labctl.actions`` group:

- ``scale_actions``: ``zero``, ``tare``, ``clear_tare`` of a ``scale``;
- ``loads``: ``load`` and ``unload`` with a ``weight_handler``;
- ``searches``: ``change_point`` (OIML R 76-1 A.4.4.3) and ``discrimination``
  (A.4.8.2), searches on the load standing on the receptor;
- ``receptor``: ``ReceptorState``, the plan's bookkeeping of what stands on each
  receptor (weights chosen from the bench's standards, the total against the most load
  allowed, ``settings: {max_load: ...}`` or Max + 9 e), and how a resume puts back the
  loads of the points it skips.
"""
