"""sessim: simulate Amazon SES shared, dedicated and managed IP options, then send for real.

The notebook API::

    import sessim
    scenario = sessim.load_scenario("scenarios/ses-ip-options.yaml")
    result = sessim.simulate(scenario)
    result.summary          # one row per option
    result.daily            # day x option x provider
    result.save("results/my-run")
    bigger = scenario.with_changes({"sender.streams.marketing.daily_volume": 3e6})
    sessim.compare({"base": result, "bigger": sessim.simulate(bigger)})
"""

__version__ = "0.1.0"

# Names are imported on first use, so that ``import sessim.engine`` (the real
# sender) does not pull in SimPy, pandas or matplotlib.
_API = {
    "EngineMisuse": "sessim.errors", "InputError": "sessim.errors",
    "PeerError": "sessim.errors", "SessimError": "sessim.errors",
    "Result": "sessim.runner", "simulate": "sessim.runner", "compare": "sessim.runner",
    "Scenario": "sessim.scenario", "load_scenario": "sessim.scenario",
}
__all__ = [*_API, "__version__"]


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'sessim' has no attribute {name!r}")
