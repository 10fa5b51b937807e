"""Plumbing every other part of the bench stands on: errors, paths, ports, waiting, the process registry, the
course mode. It imports nothing else of the bench."""
