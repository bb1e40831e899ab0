"""tyndau.Model: one simulation in this process, as `tyndau run` makes it.

    m = tyndau.Model(scenario, agents=200_000, seed=1, threads=2)
    m.run()                      # or, as OpenABM's one_day: m.step(30); m.set(resolve_base=0.3); ...
    m.headline(); m.survey(); m.timeseries(); m.resolution("income"); m.write("x.h5")

run() and step() release the GIL (ctypes does, for the whole call); the library is re-entrant,
so models in several threads run side by side.  A change between steps is a dated change of
the next day (the library's tyndau_model_set): the results and the written /parameters are
those of the same change in a scenario's [from DATE] section.
"""
import ctypes
import os
import tempfile

from . import _lib
from ._lib import TyndauError, b, s
from .scenario import Scenario

TARGETS = ("data", "survey_2021", "marginals.csv")
TARGETS_NAME = "(embedded data/survey_2021/marginals.csv)"  # as `tyndau run` records them


class Model:
    def __init__(self, scenario=None, agents=1_000_000, seed=1, threads=None, targets=None):
        """A model of `agents` citizens of `scenario` (a Scenario, a path, or None for the
        baseline); `threads` as `tyndau run --threads` (None: its default); `targets` a
        marginals.csv (None: data/survey_2021/marginals.csv, recorded as `tyndau run` does)."""
        if scenario is None or isinstance(scenario, (str, os.PathLike)):
            scenario = Scenario() if scenario is None else Scenario.load(scenario)
        self.scenario, self.agents, self.seed = scenario, int(agents), int(seed)
        if targets is None:
            path, name = _lib.data_path(*TARGETS), TARGETS_NAME
        else:
            path = name = str(targets)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise TyndauError("%s: cannot read the survey targets: %s" % (path, e.strerror)) from None
        L = _lib.lib()
        self._scn = scenario._handle  # kept alive as long as the model
        out = ctypes.c_void_p()
        self._ptr = None
        _lib.call(L.tyndau_py_model_new, self._scn.ptr, b(text), b(name), self.agents, self.seed,
                  int(threads or 0), ctypes.byref(out))
        self._ptr, self._free = out.value, L.tyndau_py_model_free
        self._file = None  # a written copy for timeseries() and the file readers, made on demand

    def __del__(self):
        if getattr(self, "_ptr", None):
            self._free(self._ptr)
            self._ptr = None
        self._drop_file()

    def _drop_file(self):
        f = getattr(self, "_file", None)
        if f is not None:
            try:
                os.unlink(f)
            except OSError:
                pass
            self._file = None

    # ---- running ----
    def run(self):
        """Every day left, then the survey (already run days are not run again); returns self."""
        days, done, _ = self._days()
        if done < days:
            self.step(days - done)
        return self

    def step(self, days=1):
        """The next `days` days (fewer at the end of the run); returns self."""
        _lib.call(_lib.lib().tyndau_py_model_step, self._ptr, int(days))
        self._drop_file()
        return self

    def set(self, **values):
        """Parameters that take new values from the next day on (between steps); a key that
        cannot change then raises TyndauError naming it."""
        from .scenario import _value

        for k, v in values.items():
            _lib.call(_lib.lib().tyndau_py_model_set, self._ptr, b(k), b(_value(v)))
        return self

    def _days(self):
        done, start = ctypes.c_int(), ctypes.c_int()
        n = _lib.lib().tyndau_py_model_days(self._ptr, done, start)
        return n, done.value, start.value

    @property
    def days(self):
        """Days of the run."""
        return self._days()[0]

    @property
    def day(self):
        """Days done so far."""
        return self._days()[1]

    @property
    def date(self):
        """The date of the next day to run (YYYY-MM-DD; the day after the end when over)."""
        _, done, start = self._days()
        return _lib.date(start + done)

    @property
    def done(self):
        n, done, _ = self._days()
        return done == n

    @property
    def threads(self):
        return _lib.lib().tyndau_py_model_threads(self._ptr)

    def __repr__(self):
        n, done, _ = self._days()
        return "<tyndau.Model %r, %d agents, seed %d: %d of %d days>" % (self.scenario.name, self.agents,
                                                                          self.seed, done, n)

    # ---- results ----
    def headline(self):
        """The headline measures (rows) by group (columns: the total, then each age, income,
        settlement, sex and region group) as a DataFrame; NaN before the run is over."""
        import pandas as pd

        L = _lib.lib()
        hs, gs, ts = _lib.names("headline"), _lib.names("group"), _lib.names("group_type")
        data = [[L.tyndau_py_model_headline(self._ptr, h, g) for g in range(len(gs))] for h in range(len(hs))]
        cols = pd.MultiIndex.from_arrays([ts, gs], names=["group_type", "group"])
        return pd.DataFrame(data, index=pd.Index(hs, name="measure"), columns=cols)

    def gaps(self):
        """The responsiveness gaps (resolution rate of high minus low income, urban minus
        rural, 18-29 minus 61+) as a Series."""
        import pandas as pd

        L = _lib.lib()
        names = _lib.names("gap")
        return pd.Series([L.tyndau_py_model_gap(self._ptr, k) for k in range(len(names))], index=names, name="gap")

    def survey(self, published=False):
        """The virtual survey as `tyndau survey --csv` lays it out (the columns of marginals.csv,
        then sample, simulated, observed, lo95, hi95, inside); published=True keeps the rows with
        a published figure.  Empty before the survey date has been run."""
        import numpy as np
        import pandas as pd

        L = _lib.lib()
        q, base, resp = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
        group, quota, inside = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        v = (ctypes.c_double * 5)()
        n = L.tyndau_py_model_survey(self._ptr, 0, None, None, None, None, None, None, None)
        gs, ts = _lib.names("group"), _lib.names("group_type")
        rows = []
        for i in range(n):
            L.tyndau_py_model_survey(self._ptr, i, q, base, resp, group, quota, v, inside)
            rows.append((s(q.value), s(base.value), ts[group.value], gs[group.value], s(resp.value),
                         "quota" if quota.value else "population", v[0], v[1], v[2], v[3],
                         np.nan if inside.value < 0 else bool(inside.value)))
        cols = ["question", "base", "group_type", "group", "response", "sample", "simulated", "observed",
                "lo95", "hi95", "inside"]
        df = pd.DataFrame(rows, columns=cols)
        return df[df["observed"].notna()].reset_index(drop=True) if published else df

    def output(self, name):
        """One output by its name in a sweep's syntax (tyndau.model.output)."""
        return output(self, name)

    def write(self, path, command_line=None):
        """The run's HDF5 file, as `tyndau run -o path` writes it (temporary name, then renamed);
        the root attribute command_line says it came from Python."""
        if command_line is None:
            command_line = "python: tyndau.Model(%r, agents=%d, seed=%d).write(%r)" % (
                self.scenario.path or self.scenario.name, self.agents, self.seed, str(path))
        _lib.call(_lib.lib().tyndau_py_model_write, self._ptr, b(str(path)), b(command_line))
        return str(path)

    def _written(self):
        if self._file is None:
            fd, name = tempfile.mkstemp(prefix="tyndau-", suffix=".h5")
            os.close(fd)
            try:
                self.write(name)
            except BaseException:
                os.unlink(name)
                raise
            self._file = name
        return self._file

    def file(self):
        """The run as a tyndau.RunFile (written to a temporary file, removed with the model)."""
        from .files import RunFile

        return RunFile(self._written())

    def daily(self):
        """The days run so far (also between steps): citizens choosing each channel (silence
        included) each day, everyone; a DataFrame, dates down, channels across."""
        import pandas as pd

        L = _lib.lib()
        _, done, start = self._days()
        chans = _lib.names("channel")
        data = [[L.tyndau_py_model_day_choices(self._ptr, d, c) for c in range(len(chans))] for d in range(done)]
        idx = pd.date_range(_lib.date(start), periods=done, freq="D", name="date")
        return pd.DataFrame(data, index=idx, columns=pd.Index(chans, name="channel"), dtype="int64")

    def timeseries(self):
        """The daily series as an xarray.Dataset with dimensions date (real dates), group,
        channel, outcome, domain, level and state (RunFile.timeseries); once the run is over
        (TyndauError before: the file is written from the finished run)."""
        return self.file().timeseries()

    def resolution(self, by="income", freq="M"):
        """Resolution rate (appeals resolved / appeals decided) of each group of type `by`
        (total, age, income, settlement, sex, region) per period `freq` (pandas: "D", "W",
        "M", "Q"): a DataFrame, dates down, groups across."""
        return self.file().resolution(by, freq)


def output(m, name):
    """One output of a finished model in the syntax of a sweep's `outputs` (docs/hpc.md): a
    headline measure (of everyone, or MEASURE:GROUP_TYPE:GROUP), a gap (gap_income, ...), or a
    survey cell of the whole population, survey:QUESTION:GROUP_TYPE:GROUP:RESPONSE (percent)."""
    parts = name.split(":")
    if parts[0] == "survey":
        if len(parts) != 5:
            raise TyndauError("output %r: expected survey:QUESTION:GROUP_TYPE:GROUP:RESPONSE" % name)
        df = m.survey()
        q, gt, g, r = parts[1:]
        hit = df[(df["question"] == q) & (df["group_type"] == gt) & (df["group"] == g) & (df["response"] == r) &
                 (df["sample"] == "population") & (df["base"] == "all")]
        if len(hit) != 1:
            raise TyndauError("output %r: no such survey cell (question, group_type, group, response)" % name)
        return float(hit["simulated"].iloc[0])
    if parts[0] in _lib.names("gap"):
        if len(parts) != 1:
            raise TyndauError("output %r: a gap takes no group" % name)
        return float(m.gaps()[parts[0]])
    hl = m.headline()
    if parts[0] not in hl.index or len(parts) not in (1, 3):
        raise TyndauError("output %r: expected a headline measure (%s) [:GROUP_TYPE:GROUP], a gap (%s) or "
                          "survey:QUESTION:GROUP_TYPE:GROUP:RESPONSE" % (name, ", ".join(hl.index),
                                                                         ", ".join(_lib.names("gap"))))
    col = ("total", "all") if len(parts) == 1 else (parts[1], parts[2])
    if col not in hl.columns:
        raise TyndauError("output %r: no group %s:%s" % (name, col[0], col[1]))
    return float(hl.loc[parts[0], col])
