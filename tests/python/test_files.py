"""tyndau.open on every file kind: the right object, every group in xarray with named dimensions,
text as str; SALib's run order: the indices of SALib's own algorithm (written here) on
tyndau.salib.data equal `tyndau sensitivity`, for both run orders."""
import h5py
import numpy as np
import pytest

import tyndau
from conftest import ROOT, tyn

KINDS = {"run": tyndau.RunFile, "sweep": tyndau.SweepFile, "compare": tyndau.CompareFile,
         "calibration": tyndau.CalibrationFile, "sensitivity": tyndau.SensitivityFile}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_open_every_kind(files, kind):
    f = tyndau.open(files[kind])
    assert type(f) is KINDS[kind]
    assert all(not isinstance(v, bytes) for v in f.attrs.values())
    assert isinstance(f.attrs["program"], str) and f.attrs["program"] == "tyndau"
    for g in f.groups + ["/"]:
        ds = f.group(g)
        assert not [d for d in ds.dims if str(d).startswith("phony_dim")], (g, list(ds.dims))
        for k in ds.variables:
            if ds[k].dtype.kind in "OS" and ds[k].size:
                assert isinstance(ds[k].values.flat[0], str), (g, k)


def test_kind_readers(files):
    run = tyndau.open(files["run"])
    assert list(run.survey().columns[:11]) == ["question", "base", "group_type", "group", "response", "sample",
                                               "simulated", "observed", "lo95", "hi95", "inside"]
    assert len(run.survey(published=True)) == 124  # 62 published cells, quota and population
    assert run.parameters()["resolve_base"] == 0.16 and run.parameters()["start_date"] == "2019-08-01"
    runs = tyndau.open(files["sweep"]).runs()
    assert len(runs) == 4 * (2 + 2) and (runs["status"] == 0).all()
    assert tyndau.open(files["compare"]).summary().index.get_level_values(0).unique().tolist() == \
        ["baseline", "help_centres"]
    assert list(tyndau.open(files["calibration"]).posterior().index) == ["prior_disengaged"]
    assert set(tyndau.open(files["sensitivity"]).indices().index.get_level_values("parameter")) == \
        {"prior_disengaged", "resolve_base"}


def test_refuses_other_files(tmp_path):
    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as f:
        f.attrs["schema_name"] = "tyndau-run"
        f.attrs["schema_version"] = "9.0"
    with pytest.raises(tyndau.TyndauError, match="version 9.0 is not supported"):
        tyndau.open(p)
    (tmp_path / "t.txt").write_text("x")
    with pytest.raises(tyndau.TyndauError, match="cannot open as HDF5"):
        tyndau.open(tmp_path / "t.txt")


def salib_sobol(Y, D, second_order):
    """SALib.analyze.sobol's first and total point estimates (SALib 1.4-1.5), written out: Y in
    SALib's order (per base row A, AB_1..AB_D [, BA_1..BA_D], B), standardised."""
    Y = (Y - Y.mean()) / Y.std()
    step = 2 * D + 2 if second_order else D + 2
    A, B = Y[0::step], Y[step - 1::step]
    AB = np.stack([Y[j + 1::step] for j in range(D)], 1)
    V = np.var(np.r_[A, B])
    S1 = np.array([np.mean(B * (AB[:, j] - A)) / V for j in range(D)])
    ST = np.array([0.5 * np.mean((A - AB[:, j]) ** 2) / V for j in range(D)])
    return S1, ST


@pytest.mark.parametrize("design", ["saltelli", "saltelli_salib"])
def test_salib_order(tmp_path, design):
    ini = tmp_path / "s.ini"
    ini.write_text("[sweep]\nscenario = %s/scenarios/baseline.ini\nagents = 1000\nseed = 5\nreplicates = 2\n"
                   "design = %s\npoints = 16\noutputs = resolution_rate voice_rate\n[parameters]\n"
                   "resolve_base = uniform 0.05 0.4\nprior_disengaged = uniform 0.05 0.4\n"
                   "cases_per_day = uniform 1 5\n" % (ROOT, design))
    sw, se = str(tmp_path / "s.h5"), str(tmp_path / "i.h5")
    tyn("sweep", str(ini), "-o", sw, "-q")
    tyn("sensitivity", sw, "-o", se, "--boot", "10")
    p = tyndau.salib.problem(sw)
    assert p["names"] == ["resolve_base", "prior_disengaged", "cases_per_day"] and p["num_vars"] == 3
    assert p["bounds"] == [[0.05, 0.4], [0.05, 0.4], [1.0, 5.0]]
    ind = tyndau.open(se).indices()
    for out in ("resolution_rate", "voice_rate"):
        d = tyndau.salib.data(sw, out)
        S1, ST = salib_sobol(d["Y"], 3, d["calc_second_order"])
        got = ind.loc[out].loc[p["names"]]
        assert np.max(np.abs(S1 - got["first"].values)) < 1e-12
        assert np.max(np.abs(ST - got["total"].values)) < 1e-12
    if design == "saltelli":  # the runs as written, in blocks, are not SALib's order
        with h5py.File(sw, "r") as f:
            raw = f["runs/y"][:, 0].reshape(-1, 2).mean(1)
        S1raw, _ = salib_sobol(raw, 3, False)
        assert np.max(np.abs(S1raw - ind.loc["resolution_rate"].loc[p["names"]]["first"].values)) > 1e-3
