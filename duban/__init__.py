"""duban (督办): follow up a government task list with deadlines."""

__version__ = "0.1.0"
