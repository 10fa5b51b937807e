"""Errors the bench raises; each message names the fix."""


class BenchError(RuntimeError):
    """Base class for every error the bench raises on purpose."""


class MissingToolError(BenchError):
    """A program the experiment needs is not installed."""


class PortInUseError(BenchError):
    """The port asked for is already bound by another process."""


class ServerStartError(BenchError):
    """A server exited or never answered; the message ends with the tail of its log."""


class LoadError(BenchError):
    """The load generator could not run or produced no results."""


class UnsafeStateDir(BenchError):
    """The bench's state directory is not a private directory of this user."""
