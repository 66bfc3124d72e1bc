"""Reading one run file as Harn does: defaults, derived fields, sidecar, times."""
