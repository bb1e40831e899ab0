"""tyndau.open(path): any file tyndau writes, as the object of its kind, with xarray and pandas.

    f = tyndau.open("out/baseline.h5")     # RunFile; SweepFile, CompareFile, CalibrationFile,
    f.kind, f.attrs, f.groups              # SensitivityFile for the other schemas
    f.group("timeseries")                  # any group as an xarray.Dataset (named dimensions)
    f.timeseries(); f.survey(); f.resolution("income")

Every text (attributes, coordinates, fixed-length fields such as a run's error) is a Python
str.  The file's schema is checked as analysis/tyndau_h5.py does: another major version than
these readers know is refused with a message that says so (TyndauError).
"""
import os

from ._lib import TyndauError

# the majors of each schema these readers know (docs/output_schema.md)
KNOWN = {"tyndau-run": (1,), "tyndau-sweep": (1, 2), "tyndau-compare": (1, 2), "tyndau-calibration": (1,),
         "tyndau-sensitivity": (1,)}


def text(v):
    """An HDF5 text (bytes, str, numpy scalar or one-element array) as str."""
    if hasattr(v, "size") and hasattr(v, "item") and getattr(v, "size", 0) == 1:
        v = v.item()
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def _attrs(obj):
    return {k: text(v) for k, v in obj.attrs.items()}


def _decoded(ds):
    """Fixed-length byte strings of a Dataset as str."""
    for k in list(ds.variables):
        if ds[k].dtype.kind == "S":
            ds[k] = ds[k].str.decode("utf-8", "replace").astype(object)
    return ds


def open(path):  # noqa: A001 (tyndau.open, as xarray.open_dataset)
    """The file at path as a RunFile, SweepFile, CompareFile, CalibrationFile or SensitivityFile."""
    import h5py

    path = os.fspath(path)
    try:
        with h5py.File(path, "r") as f:
            name = text(f.attrs.get("schema_name", f.attrs.get("schema", "")))
            version = text(f.attrs.get("schema_version", ""))
    except OSError as e:
        raise TyndauError("%s: cannot open as HDF5: %s" % (path, e)) from None
    if name not in KINDS:
        raise TyndauError("%s: not a tyndau file (schema_name %r; expected one of %s)" % (path, name, ", ".join(KINDS)))
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        raise TyndauError("%s: no readable schema_version (%r)" % (path, version)) from None
    if major not in KNOWN[name]:
        raise TyndauError("%s: %s schema version %s is not supported (this package reads %s): a newer tyndau wrote "
                          "it" % (path, name, version, " and ".join("%d.x" % m for m in KNOWN[name])))
    return KINDS[name](path)


class TyndauFile:
    """A tyndau file: kind, schema version, root attributes (text as str), groups, and any group
    as an xarray.Dataset."""

    kind = "file"

    def __init__(self, path):
        import h5py

        self.path = os.fspath(path)
        with h5py.File(self.path, "r") as f:
            self.attrs = _attrs(f)
            self.groups = sorted(k for k in f if isinstance(f[k], h5py.Group))
        self.schema = self.attrs.get("schema_name", self.attrs.get("schema", ""))
        self.version = self.attrs.get("schema_version", "")

    def group(self, name="/"):
        """Group `name` as an xarray.Dataset (h5netcdf: named dimensions, CF dates), loaded.
        Durations (units "days", such as an office's mean wait) stay numbers of days, NaN where
        undefined, rather than timedeltas."""
        import xarray as xr

        with xr.open_dataset(self.path, group=name, engine="h5netcdf", decode_timedelta=False) as ds:
            return _decoded(ds.load())

    def __repr__(self):
        return "<tyndau.%s %s (%s %s): %s>" % (type(self).__name__, self.path, self.schema, self.version,
                                               ", ".join(self.groups))


class RunFile(TyndauFile):
    """The file of one run (`tyndau run`, Model.write)."""

    kind = "run"

    def timeseries(self):
        """The daily series: dimensions date (real dates), group, channel, outcome, domain,
        level and state; the file's variable `state` (citizens in each awareness and belief
        state) is called `citizens` here.  Counts in agents (attrs["scale"] adults an agent)."""
        ds = self.group("timeseries")
        ds = ds.drop_vars("date").rename({"day": "date"})
        if "state_dim" in ds.dims:  # the file's variable `state` becomes `citizens`, by dimension `state`
            ds = ds.rename({"state": "citizens"}).rename({"state_dim": "state"})
        return ds

    def survey(self, published=False):
        """The survey rows as `tyndau survey --csv` prints them (a DataFrame)."""
        import numpy as np

        df = self.group("survey").to_dataframe().reset_index(drop=True)
        df["inside"] = [np.nan if v < 0 else bool(v) for v in df["inside"]]
        cols = ["question", "base", "group_type", "group", "response", "sample", "simulated", "observed", "lo95",
                "hi95", "inside"]
        df = df[cols + [c for c in df.columns if c not in cols]]
        return df[df["observed"].notna()].reset_index(drop=True) if published else df

    def parameters(self):
        """Every parameter's value on the start date (a Series indexed by name: numbers, dates
        as YYYY-MM-DD)."""
        import pandas as pd

        import h5py

        with h5py.File(self.path, "r") as f:
            a = _attrs(f["parameters"])
        a.pop("description", None)
        return pd.Series(a, name="value", dtype=object)

    @property
    def scenario_text(self):
        return self.attrs.get("scenario_text", "")

    def resolution(self, by="income", freq="M"):
        """Resolution rate (resolved / decided) of each group of type `by` per period `freq`: a
        DataFrame with a date index and one column per group."""
        return resolution(self.timeseries(), by, freq)


def resolution(ts, by="income", freq="M"):
    """Resolution rate of the groups of type `by` in a timeseries Dataset, per period `freq`."""
    from . import _lib

    names, types = _lib.names("group"), _lib.names("group_type")
    if by not in set(types):
        raise TyndauError("by: expected one of %s, got %r" % (", ".join(dict.fromkeys(types)), by))
    groups = [g for g, t in zip(names, types) if t == by]
    out = ts["outcomes"].sel(group=groups)
    decided = out.sum("outcome").to_pandas().resample(freq).sum()
    resolved = out.sel(outcome="resolved").to_pandas().resample(freq).sum()
    rate = resolved / decided.where(decided > 0)
    rate.columns.name = by
    return rate


class SweepFile(TyndauFile):
    """A sweep (or merged sweep): design, runs and, with noise runs, replicate noise."""

    kind = "sweep"

    def runs(self):
        """One row per run: point, replicate, the parameters' values, status, then the outputs."""
        import numpy as np
        import pandas as pd

        import h5py

        with h5py.File(self.path, "r") as f:
            R = int(f.attrs["replicates"])
            x, y = f["design/x"][:], f["runs/y"][:]
            params = [text(n) for n in f["design/parameter"][:]]
            outputs = [text(n) for n in f["runs/output"][:]]
            status = f["runs/status"][:]
        jobs = np.arange(y.shape[0])
        df = pd.DataFrame({"point": jobs // R, "replicate": jobs % R})
        for k, p in enumerate(params):
            df[p] = x[jobs // R, k]
        df["status"] = status
        for k, o in enumerate(outputs):
            df[o] = y[:, k]
        return df


class CompareFile(TyndauFile):
    """A scenario comparison: per scenario and output, the mean and its difference from the
    first scenario with 95% intervals."""

    kind = "comparison"

    def summary(self):
        """A DataFrame indexed by (scenario, output): mean, lo, hi, diff_mean, diff_lo, diff_hi."""
        s = self.group("summary")
        names = list(self.group("scenarios")["name"].values)
        df = s[["mean", "lo", "hi", "diff_mean", "diff_lo", "diff_hi"]].to_dataframe()
        df = df.reset_index()
        df["scenario"] = [names[int(i)] for i in df["scenario"]]
        return df.set_index(["scenario", "output"])


class CalibrationFile(TyndauFile):
    """A calibration: generations, posterior, posterior predictive check."""

    kind = "calibration"

    def posterior(self):
        """Posterior medians and 90% intervals by quantity (a DataFrame)."""
        p = self.group("posterior")
        import pandas as pd

        return pd.DataFrame({"median": p["median"].values, "q05": p["q05"].values, "q95": p["q95"].values},
                            index=pd.Index(list(p["name"].values), name="quantity"))


class SensitivityFile(TyndauFile):
    """Sobol or Morris indices by output and parameter."""

    kind = "sensitivity"

    def indices(self):
        """The root datasets of (output, parameter) as a long DataFrame indexed by them."""
        ds = self.group("/")
        two = [k for k in ds.data_vars if ds[k].dims == ("output", "parameter")]
        return ds[two].to_dataframe()


KINDS = {"tyndau-run": RunFile, "tyndau-sweep": SweepFile, "tyndau-compare": CompareFile,
         "tyndau-calibration": CalibrationFile, "tyndau-sensitivity": SensitivityFile}
