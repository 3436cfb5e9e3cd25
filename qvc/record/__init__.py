"""What a run leaves on disk: the result columns and row builders, the run folder's files
(``metadata.json``, ``sweep.json``, ``tuning.json``), the metadata they hold, and a sweep's
append-only point store.

This floor stands on the models, quantum and energy floors and knows nothing of analysis,
reports or the orchestration that fills it (``docs/ARCHITECTURE.md``).
"""
