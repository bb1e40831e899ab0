"""The C library, loaded once with ctypes: where it and tyndau's data are, the signatures of
python/capi.c, and the one error path (a status and the library's message -> TyndauError).

In the source tree the library is ../../build/libtyndau.so.0 and the data (scenarios/,
data/survey_2021/) are under the tree's root; `make install PREFIX=...` writes _installed.py
beside this file with the installed library and data folders instead.  TYNDAU_LIB names a
library to use instead of either.  ctypes releases the GIL for the length of every call, so a
run in one thread leaves the interpreter to the others.
"""
import ctypes
import os

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    from . import _installed  # written by make install

    LIBRARY, DATA = _installed.LIBRARY, _installed.DATA
except ImportError:
    _root = os.path.dirname(os.path.dirname(HERE))
    LIBRARY, DATA = os.path.join(_root, "build", "libtyndau.so.0"), _root

EINTERNAL, EINPUT = 1, 2


class TyndauError(Exception):
    """An error of the library, with its message (file, line, key, what was expected) and its
    status: 2 for bad input (`input_error`), 1 for an internal error."""

    def __init__(self, message, status=EINPUT):
        super().__init__(message)
        self.status = status

    @property
    def input_error(self):
        return self.status == EINPUT


_lib = None
c_char_pp = ctypes.POINTER(ctypes.c_char_p)
P = ctypes.c_void_p
MSG = 1024


def _sig(lib, name, res, *args):
    f = getattr(lib, name)
    f.restype, f.argtypes = res, list(args)


def lib():
    """The loaded library (loaded at the first call)."""
    global _lib
    if _lib is not None:
        return _lib
    path = os.environ.get("TYNDAU_LIB") or LIBRARY
    if not os.path.exists(path):
        raise TyndauError("%s: no libtyndau here: build it with `make` (or `make lib`) in the source tree, or "
                          "set TYNDAU_LIB" % path, EINTERNAL)
    L = ctypes.CDLL(path)
    i, d, s, z, u64 = ctypes.c_int, ctypes.c_double, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64
    ip, dp, sp = ctypes.POINTER(i), ctypes.POINTER(d), ctypes.POINTER(s)
    _sig(L, "tyndau_py_version", s)
    _sig(L, "tyndau_py_count", z, s)
    _sig(L, "tyndau_py_name", s, s, i)
    _sig(L, "tyndau_py_scenario_new", i, s, s, s, c_char_pp, z, ctypes.POINTER(P), s, z)
    _sig(L, "tyndau_py_scenario_free", None, P)
    _sig(L, "tyndau_py_scenario_text", s, P, s)
    _sig(L, "tyndau_py_scenario_value", None, P, z, s, z)
    _sig(L, "tyndau_py_scenario_change", i, P, i, ip, ip, dp)
    _sig(L, "tyndau_py_param_info", None, z, sp, ip, dp, dp, dp, sp, sp, ip, sp, sp)
    _sig(L, "tyndau_py_date_format", None, i, s, z)
    _sig(L, "tyndau_py_model_new", i, P, s, s, z, u64, i, ctypes.POINTER(P), s, z)
    _sig(L, "tyndau_py_model_free", None, P)
    _sig(L, "tyndau_py_model_step", i, P, i, s, z)
    _sig(L, "tyndau_py_model_set", i, P, s, s, s, z)
    _sig(L, "tyndau_py_model_days", i, P, ip, ip)
    _sig(L, "tyndau_py_model_threads", i, P)
    _sig(L, "tyndau_py_model_write", i, P, s, s, s, z)
    _sig(L, "tyndau_py_model_headline", d, P, i, i)
    _sig(L, "tyndau_py_model_gap", d, P, i)
    _sig(L, "tyndau_py_model_survey", z, P, z, sp, sp, sp, ip, ip, dp, ip)
    _sig(L, "tyndau_py_model_day_choices", ctypes.c_int64, P, i, i)
    _lib = L
    return L


def call(fn, *args):
    """fn(*args, msg, len) of capi.c; raise TyndauError with the library's message unless 0."""
    msg = ctypes.create_string_buffer(MSG)
    st = fn(*args, msg, MSG)
    if st != 0:
        raise TyndauError(msg.value.decode("utf-8", "replace"), st)


def b(text):
    return None if text is None else str(text).encode("utf-8")


def s(raw):
    return None if raw is None else raw.decode("utf-8", "replace")


def names(what):
    """The library's names of a code table: "headline", "gap", "group", "group_type", "channel"."""
    L = lib()
    n = L.tyndau_py_count(b"group" if what == "group_type" else b(what))
    return [s(L.tyndau_py_name(b(what), k)) for k in range(n)]


def date(days):
    """A day number (days since 1970-01-01) as YYYY-MM-DD."""
    buf = ctypes.create_string_buffer(16)
    lib().tyndau_py_date_format(int(days), buf, 16)
    return s(buf.value)


def data_path(*parts):
    """A file of tyndau's data (scenarios/..., data/survey_2021/...), in the tree or installed."""
    return os.path.join(DATA, *parts)
