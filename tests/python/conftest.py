"""Fixtures of the Python package's tests: the program, the repository root, tiny file kinds."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
TYNDAU = os.path.abspath(os.environ.get("TYNDAU", os.path.join(ROOT, "build", "tyndau")))


def tyn(*args, cwd=None):
    """Run the program; its CompletedProcess (text), failing the test on a non-zero exit."""
    r = subprocess.run([TYNDAU, *args], capture_output=True, text=True, cwd=cwd)
    assert r.returncode == 0, "tyndau %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr[-2000:])
    return r


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    """One tiny file of each kind the program writes."""
    d = tmp_path_factory.mktemp("kinds")
    sweep = d / "s.ini"
    sweep.write_text("[sweep]\nscenario = %s/scenarios/baseline.ini\nagents = 1000\nseed = 3\nreplicates = 1\n"
                     "noise_runs = 2\ndesign = saltelli_salib\npoints = 4\noutputs = voice_rate resolution_rate\n"
                     "[parameters]\nprior_disengaged = uniform 0.05 0.4\nresolve_base = uniform 0.1 0.3\n" % ROOT)
    calib = d / "c.ini"
    calib.write_text("[calibration]\nscenario = %s/scenarios/baseline.ini\nagents = 1000\nseed = 3\nparticles = 8\n"
                     "max_generations = 1\npredictive_draws = 10\n[priors]\nprior_disengaged = uniform 0.05 0.4\n"
                     % ROOT)
    out = {k: str(d / (k + ".h5")) for k in ("run", "sweep", "compare", "calibration", "sensitivity")}
    tyn("run", "--agents", "2000", "-q", "-o", out["run"])
    tyn("sweep", str(sweep), "-o", out["sweep"], "-q")
    tyn("compare", ROOT + "/scenarios/baseline.ini", ROOT + "/scenarios/help_centres.ini", "--replicates", "2",
        "--agents", "1000", "-q", "-o", out["compare"])
    tyn("calibrate", str(calib), "-o", out["calibration"], "-q", cwd=str(d))
    tyn("sensitivity", out["sweep"], "-o", out["sensitivity"], "--boot", "20")
    return out
