"""The binding's life cycle and errors, identical files from Python and from the command line,
changes between steps, two models in two threads, the one-line resolution rate by income."""
import os
import subprocess
import threading
import time

import h5py
import numpy as np
import pytest

import tyndau
from conftest import ROOT, TYNDAU, tyn

GROUPS = ["/timeseries", "/distributions", "/offices", "/anchors", "/survey", "/parameters", "/scenario"]
# root attributes that say how and when a file was made, not what it holds
MADE = {"created", "command_line", "mpi_version", "content_digest"}  # the digest covers the others


def h5same(a, b, groups=GROUPS, made=MADE):
    for g in groups:
        r = subprocess.run(["h5diff", "-r", a, b, g], capture_output=True, text=True)
        assert r.returncode == 0, "%s differs between %s and %s:\n%s" % (g, a, b, r.stdout[-1500:])
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        ka, kb = set(fa.attrs) - made, set(fb.attrs) - made
        assert ka == kb
        bad = [k for k in sorted(ka) if not np.array_equal(fa.attrs[k], fb.attrs[k])]
        assert not bad, "root attributes differ: %s" % bad


def test_lifecycle():
    m = tyndau.Model(agents=5000, seed=2)
    assert (m.day, m.done, m.date) == (0, False, "2019-08-01")
    assert np.isnan(m.headline().loc["resolution_rate", ("total", "all")])
    assert len(m.survey()) == 0
    m.step(10).step(5)
    assert (m.day, m.date) == (15, "2019-08-16")
    m.run()
    assert m.done and m.day == m.days == 746
    assert 0 < m.headline().loc["resolution_rate", ("total", "all")] < 1
    with pytest.raises(tyndau.TyndauError, match="the run is over"):
        m.step(1)
    with pytest.raises(tyndau.TyndauError, match="days: expected 1 or more"):
        tyndau.Model(agents=1000).step(0)
    m.run()  # nothing left: a no-op
    assert "746 of 746 days" in repr(m)
    del m


def test_errors_carry_the_library_message(tmp_path):
    bad = tmp_path / "bad.ini"
    bad.write_text("[scenario]\nname = bad\n[state]\nresolve_base = 0.2\ncorruption_man = 0.1\n")
    with pytest.raises(tyndau.TyndauError) as e:
        tyndau.Scenario.load(bad)
    assert str(bad) + ":5" in str(e.value) and "corruption_man" in str(e.value) and "corruption_mean" in str(e.value)
    assert e.value.status == 2 and e.value.input_error
    with pytest.raises(tyndau.TyndauError, match="no_such.ini"):
        tyndau.Scenario.load(tmp_path / "no_such.ini")
    s = tyndau.Scenario()
    with pytest.raises(tyndau.TyndauError, match="key 'resolve_base': expected .*got '1.5'"):
        s.set(resolve_base=1.5)
    assert s.sets == []  # a refused override leaves the scenario as it was
    with pytest.raises(tyndau.TyndauError, match="agents: expected 1 to"):
        tyndau.Model(agents=0)
    with pytest.raises(tyndau.TyndauError, match="no day has run yet"):
        tyndau.Model(agents=1000).set(resolve_base=0.3)
    m = tyndau.Model(agents=1000).step(3)
    with pytest.raises(tyndau.TyndauError, match="key 'campaign_social': cannot change between steps"):
        m.set(campaign_social=0.5)
    with pytest.raises(tyndau.TyndauError, match="key 'population_national' cannot change on a date"):
        m.set(population_national=5)
    with pytest.raises(tyndau.TyndauError, match="not over"):
        m.write(str(tmp_path / "x.h5"))
    assert not os.path.exists(tmp_path / "x.h5")


def test_params_table():
    p = tyndau.Scenario.load(os.path.join(ROOT, "scenarios/help_centres.ini")).params
    lines = tyn("params").stdout.strip().splitlines()[1:]
    assert len(p) == len(lines) and list(p.index) == [ln.split()[0] for ln in lines]
    assert p.loc["resolve_base", "default"] == 0.16 and p.loc["start_date", "value"] == "2019-08-01"
    assert {"value", "default", "min", "max", "unit", "category", "description", "source"} <= set(p.columns)
    ch = tyndau.Scenario.load(os.path.join(ROOT, "scenarios/help_centres.ini")).changes
    assert list(ch["parameter"]) == ["help_skill", "help_access"]


def test_same_file_as_the_command_line(tmp_path):
    a, b = str(tmp_path / "cli.h5"), str(tmp_path / "py.h5")
    tyn("run", ROOT + "/scenarios/help_centres.ini", "--agents", "20000", "--seed", "5", "--threads", "2",
        "--set", "resolve_base=0.2", "-q", "-o", a)
    sc = tyndau.Scenario.load(ROOT + "/scenarios/help_centres.ini").set(resolve_base=0.2)
    tyndau.Model(sc, agents=20000, seed=5, threads=2).run().write(b)
    h5same(a, b)
    # the embedded baseline: the same scenario source and text
    a, b = str(tmp_path / "cli0.h5"), str(tmp_path / "py0.h5")
    tyn("run", "--agents", "5000", "--seed", "2", "--threads", "1", "-q", "-o", a)
    tyndau.Model(agents=5000, seed=2, threads=1).run().write(b)
    h5same(a, b)
    # a scenario without `base =` inherits the calibrated baseline in both (and records where
    # each value came from, /scenario/origin, the same way)
    nb = tmp_path / "nobase.ini"
    nb.write_text("[scenario]\nname = nobase\n[state]\nresolve_base = 0.2\n")
    a, b = str(tmp_path / "clinb.h5"), str(tmp_path / "pynb.h5")
    tyn("run", str(nb), "--agents", "5000", "--seed", "3", "--threads", "1", "-q", "-o", a)
    snb = tyndau.Scenario.load(nb)
    assert snb.params.loc["media_president", "value"] != snb.params.loc["media_president", "default"]
    tyndau.Model(snb, agents=5000, seed=3, threads=1).run().write(b)
    h5same(a, b)
    # and another seed differs
    c = str(tmp_path / "py9.h5")
    tyndau.Model(agents=5000, seed=9, threads=1).run().write(c)
    assert subprocess.run(["h5diff", "-q", a, c, "/timeseries"]).returncode == 1


def test_steps_with_a_change_are_the_dated_scenario(tmp_path):
    dated = tmp_path / "dated.ini"
    dated.write_text("[scenario]\nname = baseline\nbase = %s/scenarios/baseline.ini\n[from 2020-05-27]\n"
                     "resolve_base = 0.4\ncorruption_mean = 0.02\n" % ROOT)
    a, b = str(tmp_path / "cli.h5"), str(tmp_path / "py.h5")
    tyn("run", str(dated), "--agents", "20000", "--seed", "4", "--threads", "2", "-q", "-o", a)
    m = tyndau.Model(agents=20000, seed=4, threads=2)
    for _ in range(6):
        m.step(50)
    assert m.date == "2020-05-27"
    m.set(resolve_base=0.4, corruption_mean=0.02)
    m.step(7).run().write(b)
    # the scenarios' texts differ (a file's [from] section, overrides between steps); the rest is the same
    h5same(a, b, [g for g in GROUPS if g != "/scenario"], MADE | {"scenario_source", "scenario_text"})


def test_resolution_by_income_is_one_line(tmp_path):
    m = tyndau.Model(agents=20000, seed=3).run()
    r = m.resolution("income")
    assert list(r.columns) == ["low", "middle", "high"] and r.index[0].strftime("%Y-%m-%d") == "2019-08-31"
    # the same as summing the file's outcomes by month with h5py
    path = m.write(str(tmp_path / "r.h5"))
    with h5py.File(path, "r") as f:
        out = f["timeseries/outcomes"][:]
        groups = [g.decode() if isinstance(g, bytes) else g for g in f["timeseries/group"][:]]
        names = [o.decode() if isinstance(o, bytes) else o for o in f["timeseries/outcome"][:]]
    low, res = groups.index("low"), names.index("resolved")
    aug = slice(0, 31)  # 2019-08-01 .. 2019-08-31
    assert r["low"].iloc[0] == pytest.approx(out[aug, low, res].sum() / out[aug, low, :].sum(), rel=1e-12)
    ts = m.timeseries()
    assert {"date", "group", "channel", "outcome", "domain", "level", "state"} <= set(ts.dims)
    assert str(ts["date"].values[0])[:10] == "2019-08-01" and ts["date"].dtype.kind == "M"


def _run_headline(seed, out):
    out[seed] = tyndau.Model(agents=60000, seed=seed, threads=1).run().headline()


def test_two_models_in_two_threads():
    alone = {}
    for s in (1, 2):
        _run_headline(s, alone)
    together, ticks = {}, [0]
    ts = [threading.Thread(target=_run_headline, args=(s, together)) for s in (1, 2)]
    for t in ts:
        t.start()
    while any(t.is_alive() for t in ts):  # the interpreter is free while the models run
        ticks[0] += 1
        time.sleep(0.001)
    for t in ts:
        t.join()
    for s in (1, 2):
        assert together[s].equals(alone[s])
    assert ticks[0] > 10


def test_ema_model_function():
    f = tyndau.ema.model(outcomes=["resolution_rate", "gap_income", "resolution_rate:income:low",
                                   "survey:aware_concept:age:61+:fully_aware"], agents=10000, seed=3)
    lo, hi = f(resolve_base=0.1), f(resolve_base=0.3)  # a plain loop, as without EMA Workbench
    assert set(lo) == set(f.outcomes)
    assert hi["resolution_rate"] > lo["resolution_rate"]
    m = tyndau.Model(tyndau.Scenario().set(resolve_base=0.3), agents=10000, seed=3).run()
    assert hi["resolution_rate"] == m.headline().loc["resolution_rate", ("total", "all")]
    assert hi["resolution_rate:income:low"] == m.headline().loc["resolution_rate", ("income", "low")]
    with pytest.raises(tyndau.TyndauError, match="resolve_bse"):
        f(resolve_bse=0.2)
    with pytest.raises(tyndau.TyndauError, match="output 'nonsense'"):
        tyndau.ema.model(outcomes=["nonsense"], agents=1000)()


def test_daily_between_steps():
    m = tyndau.Model(agents=20000, seed=6).step(100)
    early = m.daily()
    assert early.shape == (100, 6) and str(early.index[-1].date()) == "2019-11-08"
    m.run()
    full = m.daily()
    assert full.iloc[:100].equals(early)
    ts = m.timeseries()["choices"].sel(group="all").to_pandas()
    assert (ts.values == full.values).all() and list(ts.columns) == list(full.columns)
