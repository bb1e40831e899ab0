"""tyndau.Scenario: a scenario file (or the baseline) with overrides, as `tyndau run` reads it.

Every change goes through the library's own reader, so a bad key or value raises TyndauError
with the library's message (file, line, key, expected range) at the call that makes it.
"""
import ctypes

from . import _lib
from ._lib import b, s

BASELINE = ("scenarios", "baseline.ini")
BASELINE_NAME = "(embedded baseline.ini)"  # what `tyndau run` without a scenario records


class Scenario:
    """A scenario: Scenario.load(path), or Scenario() for the baseline; .set(key=value) adds
    overrides (as --set, applied after the file; a value may be a number, a str or a date);
    .params is every parameter as a DataFrame."""

    def __init__(self, path=None, sets=(), _text=None, _source=None):
        self.path, self.sets = path, list(sets)
        if _text is None:
            # the calibrated baseline: the scenario itself when there is no file, otherwise what
            # a file without `base =` inherits, as for `tyndau run` (tyndau_scenario_prepare)
            with open(_lib.data_path(*BASELINE), encoding="utf-8") as f:
                _text, _source = f.read(), BASELINE_NAME
        self._text, self._source = _text, _source
        self._handle = _Handle(self.path, self._text, self._source, self.sets)

    @classmethod
    def load(cls, path):
        """The scenario file at path (inherited files, dated sections and all)."""
        return cls(str(path))

    @classmethod
    def from_text(cls, text, name="(text)"):
        """A scenario from its text; `name` stands for the file in messages and in the output."""
        return cls(None, (), text, name)

    def set(self, **values):
        """Overrides key=value, checked at once; returns self, for chaining."""
        # a key set again replaces its earlier override (the program refuses a key given twice)
        sets = [kv for kv in self.sets if kv.split("=", 1)[0].strip() not in values]
        sets += ["%s=%s" % (k, _value(v)) for k, v in values.items()]
        self._handle = _Handle(self.path, self._text, self._source, sets)  # raises before changing self
        self.sets = sets
        return self

    def copy(self):
        return Scenario(self.path, self.sets, self._text, self._source)

    @property
    def name(self):
        return self._handle.text("name")

    @property
    def description(self):
        return self._handle.text("description")

    @property
    def text(self):
        """The scenario's text, verbatim."""
        return self._handle.text("text")

    def __getitem__(self, key):
        """The value of parameter `key` on the start date (a float, an int or a date string)."""
        row = self.params.loc[key]
        return row["value"]

    @property
    def params(self):
        """Every parameter: value in this scenario, default, min, max, unit, category, dated
        (whether it may change on a date), description and source; indexed by name."""
        import pandas as pd

        L, h = _lib.lib(), self._handle
        rows = []
        for i in range(L.tyndau_py_count(b"params")):
            info = _param_info(i)
            buf = ctypes.create_string_buffer(64)
            L.tyndau_py_scenario_value(h.ptr, i, buf, 64)
            rows.append(dict(info, value=_typed(info["type"], s(buf.value))))
        df = pd.DataFrame(rows).set_index("name")
        for k in ("default", "min", "max"):
            df[k] = [_typed(t, v) for t, v in zip(df["type"], df[k])]
        return df[["value", "default", "min", "max", "unit", "category", "type", "dated", "description", "source"]]

    @property
    def changes(self):
        """The dated changes: a DataFrame of date, parameter, value (in date order)."""
        import pandas as pd

        L, rows, k = _lib.lib(), [], 0
        date, param, value = ctypes.c_int(), ctypes.c_int(), ctypes.c_double()
        while L.tyndau_py_scenario_change(self._handle.ptr, k, date, param, value):
            info = _param_info(param.value)
            rows.append({"date": _lib.date(date.value), "parameter": info["name"],
                         "value": _typed(info["type"], value.value)})
            k += 1
        return pd.DataFrame(rows, columns=["date", "parameter", "value"])

    def __repr__(self):
        extra = " with %s" % ", ".join(self.sets) if self.sets else ""
        return "<tyndau.Scenario %r (%s)%s>" % (self.name, self.path or self._source, extra)


class _Handle:
    """The prepared scenario in the library; freed with the Python object."""

    def __init__(self, path, text, source, sets):
        L = _lib.lib()
        arr = (ctypes.c_char_p * (len(sets) + 1))(*[b(x) for x in sets], None)
        out = ctypes.c_void_p()
        self.ptr = None
        _lib.call(L.tyndau_py_scenario_new, b(path), b(text), b(source), arr, len(sets), ctypes.byref(out))
        self.ptr = out.value
        self._free = L.tyndau_py_scenario_free

    def text(self, what):
        return s(_lib.lib().tyndau_py_scenario_text(self.ptr, b(what)))

    def __del__(self):
        if getattr(self, "ptr", None):
            self._free(self.ptr)
            self.ptr = None


TYPES = ("real", "int", "date")


def _param_info(i):
    L = _lib.lib()
    name, unit, cat, desc, src = (ctypes.c_char_p() for _ in range(5))
    typ, dated = ctypes.c_int(), ctypes.c_int()
    d, lo, hi = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    L.tyndau_py_param_info(i, name, typ, d, lo, hi, unit, cat, dated, desc, src)
    return {"name": s(name.value), "type": TYPES[typ.value], "default": d.value, "min": lo.value,
            "max": hi.value, "unit": s(unit.value), "category": s(cat.value), "dated": bool(dated.value),
            "description": s(desc.value), "source": s(src.value)}


def _typed(typ, v):
    if typ == "date":
        return v if isinstance(v, str) else _lib.date(v)
    if typ == "int":
        return int(float(v))
    return float(v)


def _value(v):
    """A Python value as the reader's text: dates as YYYY-MM-DD, numbers with every digit."""
    import datetime

    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    return str(v)
