"""Prefect flows: the thin orchestration shell around duban's library.

- ``flows.round``   — ``round``: the evening of each due date, check everything, remind, store the report;
- ``flows.recheck`` — ``recheck``: on demand, for the coordinator (some units / tasks, report always);
- ``flows.sweep``   — ``sweep``: every working morning of the campaign, the before-due and overdue reminders;
- ``flows.deployments`` — the deployments and schedules (``prefect.yaml``, ``duban serve``) built from the catalog.

The flows only orchestrate: the logic lives in ``duban.check``, ``notifications`` and
``reports``, which never import Prefect. Import this package only after
``duban.prefect_env.configure()`` when running embedded (the CLI does).
"""
