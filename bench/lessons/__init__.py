"""The helpers one lesson uses: each module is named for the experiment it runs (caching, scaling, faults, the
benchmark matrix, long-lived streams, …) and builds on everything below it."""
