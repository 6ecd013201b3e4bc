"""For operators: ``/healthz`` and Prometheus ``/metrics`` on a local port
(``[ops]`` in the config), and log lines as JSON (``--log-format json``).

The core reports to the :class:`bot.observe.Observer` port; here it feeds
Prometheus (a registry per core, so one process may hold several bots).
"""
