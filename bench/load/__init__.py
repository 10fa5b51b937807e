"""The load and its honesty: locust run in a subprocess (`runner`), what a run measured and its flags (`result`),
the CPU accounting behind them (`cpu`), repeated and there-and-back measurements (`measuring`), wrk as the yardstick,
the one way to state a claim (`claims`, with `comparisons` for two sides), and the figures (`plots`, `timeline`)."""

from bench.load.cpu import capacity_cores, core_share
from bench.load.measuring import Measurement, measure, run_on, settle, there_and_back
from bench.load.result import LoadResult, Target, target_url
from bench.load.runner import locust_command, run_load

__all__ = ["LoadResult", "Measurement", "Target", "capacity_cores", "core_share", "locust_command", "measure",
           "run_load", "run_on", "settle", "target_url", "there_and_back"]
