"""tyndau from Python: the simulation library in this process, and its files as xarray/pandas.

    import tyndau
    m = tyndau.Model(agents=100_000)          # the baseline; or tyndau.Model("scenarios/x.ini", ...)
    m.run()
    m.headline()                              # measures x groups, a DataFrame
    m.resolution("income")                    # resolution rate by income group over time, monthly
    f = tyndau.open("out/baseline.h5")        # any file kind tyndau writes

Scenario (load, set, params), Model (run, step, set, headline, survey, timeseries, write),
open (RunFile, SweepFile, CompareFile, CalibrationFile, SensitivityFile), tyndau.ema (an EMA
Workbench model function), tyndau.salib (SALib's problem and samples of a sweep file).
Errors of the library are TyndauError with its message (file, line, key, what was expected).
"""
from ._lib import TyndauError
from .files import CalibrationFile, CompareFile, RunFile, SensitivityFile, SweepFile, TyndauFile, open
from .model import Model
from .scenario import Scenario
from . import ema, salib  # noqa: E402 (tyndau.ema, tyndau.salib)

__all__ = ["Model", "Scenario", "TyndauError", "open", "TyndauFile", "RunFile", "SweepFile", "CompareFile",
           "CalibrationFile", "SensitivityFile", "version"]


def version():
    """The library's version (tyndau.h)."""
    from . import _lib

    return _lib.lib().tyndau_py_version().decode()
