"""A city: many districts running duban on one Prefect server with workers, and one rollup.

``city.yaml`` lists the districts — name, campaign folder, evidence root, coordinator emails,
optionally a work queue and a data directory (:mod:`.spec`). ``duban city deploy city.yaml``
turns it into deployments named per district (``round-历下区``, ``recheck-历下区``,
``sweep-历下区``; with several campaigns in a district also keyed by campaign), each with the
district's environment, schedules from its own rounds, concurrency 1 for its round and sweep,
and a ``city`` deployment scheduled the morning after each round date the districts share
(:mod:`.deploy`). The ``city`` flow (``duban.flows.city``) runs every district's check through
its own deployment, reads the results from the shared store and writes the city report
(:mod:`.report`): districts ranked, each task's completion across districts, the worst units
of each district — one failed district is a marked row, never a missing report.

A city sits above the flows (it deploys and runs them), below the CLI. Nothing here imports
Prefect at module level.
"""
