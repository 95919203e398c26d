"""The check: catalog x evidence (x the coordinator's confirmations) -> one obligation per
(task, unit, round).

- :mod:`duban.check.gather` — ``gather`` (scan, hash, inspect; cached in the store);
- :mod:`duban.check.run` — ``evaluate`` (apply the rules task by task, record the run);
  ``run_check`` does both;
- :mod:`duban.check.memo` — the tasks one check judged, reused by the next where their files
  and the as-of window are the same;
- :mod:`duban.check.rules` — the rules themselves: plain Python, no I/O;
- :mod:`duban.check.confirmations` — the coordinator's confirmations of platform-judged items;
- :mod:`duban.replay` — when a re-check can be answered from the last one (the window of as-of
  times an answer holds for is computed here, in ``run.evaluate``).

No Prefect here: this is the library core the CLI, the flows and the tests share.
"""

from .run import EvidenceRootError, Gathered, basis, evaluate, gather, run_check

__all__ = ["EvidenceRootError", "Gathered", "basis", "gather", "evaluate", "run_check"]
