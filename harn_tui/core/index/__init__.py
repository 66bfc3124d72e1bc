"""Every run of a root: the walk, the summary index and its cache, watching."""
