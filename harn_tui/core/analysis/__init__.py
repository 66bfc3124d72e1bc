"""What harn-tui computes over runs: compare, timelines, costs, queries, views."""
