"""tyndau.ema: the model as a function of keyword arguments, for EMA Workbench or a plain loop.

    f = tyndau.ema.model("scenarios/help_centres.ini", outcomes=["resolution_rate", "gap_income"],
                         agents=100_000)
    f(resolve_base=0.2, corruption_mean=0.05)      # {"resolution_rate": ..., "gap_income": ...}

    from ema_workbench import Model, RealParameter, ScalarOutcome      # where it is installed
    em = Model("tyndau", function=f)
    em.uncertainties = [RealParameter("resolve_base", 0.1, 0.3)]
    em.outcomes = [ScalarOutcome(o) for o in f.outcomes]

Each call builds the scenario with the keyword arguments as overrides (as --set; `seed` is the
model's seed, not a parameter), runs a model and returns a dict of the outcomes, in the syntax
of a sweep's `outputs` (docs/hpc.md).  A bad parameter raises TyndauError naming it.
"""
from .model import Model
from .scenario import Scenario

DEFAULT_OUTCOMES = ("voice_rate", "resolution_rate", "bribe_incidence", "gap_income")


class ModelFunction:
    """A callable f(**parameters) -> {outcome: value}; .outcomes lists the outcome names."""

    def __init__(self, scenario=None, outcomes=DEFAULT_OUTCOMES, agents=100_000, seed=1, threads=None):
        if scenario is None or not isinstance(scenario, Scenario):
            scenario = Scenario() if scenario is None else Scenario.load(scenario)
        self.scenario, self.outcomes = scenario, list(outcomes)
        self.agents, self.seed, self.threads = agents, seed, threads
        self.__name__ = "tyndau_%s" % scenario.name  # EMA Workbench names a function model by it

    def __call__(self, **parameters):
        seed = parameters.pop("seed", self.seed)
        sc = self.scenario.copy().set(**parameters) if parameters else self.scenario
        m = Model(sc, agents=self.agents, seed=seed, threads=self.threads).run()
        return {o: m.output(o) for o in self.outcomes}


def model(scenario=None, outcomes=DEFAULT_OUTCOMES, agents=100_000, seed=1, threads=None):
    """The model function of `scenario` (a Scenario, a path or None for the baseline)."""
    return ModelFunction(scenario, outcomes, agents, seed, threads)
