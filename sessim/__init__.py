"""sessim: simulate Amazon SES shared, dedicated and managed IP options, then send for real.

The notebook API::

    import sessim
    scenario = sessim.load_scenario("scenarios/ses-ip-options.yaml")
    result = sessim.simulate(scenario)
    result.summary          # one row per option
    result.daily            # day x option x provider
    result.save("results/my-run")
"""

__version__ = "0.1.0"

from sessim.errors import EngineMisuse, InputError, PeerError, SessimError  # noqa: E402
from sessim.runner import Result, simulate  # noqa: E402
from sessim.scenario import Scenario, load_scenario  # noqa: E402

__all__ = ["EngineMisuse", "InputError", "PeerError", "Result", "Scenario", "SessimError",
           "load_scenario", "simulate", "__version__"]
