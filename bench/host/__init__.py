"""This machine: which platform it is (or simulates), which tools it has and how to install them, its CPU and
processes, its Docker engine, and cleaning up what the course started on it."""
