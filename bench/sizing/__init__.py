"""This machine measured once (`machine.facts()`: usable cores, the load generator's ceiling, a CPU cost per
request) and every experiment's parameters derived from those facts (`plans`)."""
