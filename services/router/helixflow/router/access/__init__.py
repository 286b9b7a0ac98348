"""Who may call the router, and what each call may cost.

- ``auth``: the interceptor that authenticates each public call (API key or JWT);
- ``gate``: the Inference servicer's admission and settlement (model scope,
  quotas, stream slots, response and embedding caches, usage);
- ``keys``, ``quota``, ``cache``, ``usage``: the pieces behind them, kept in the
  shared ``state`` store (Redis) or in this process;
- ``admin``: the Admin service (keys, usage);
- ``build``: all of it from ``AccessSettings`` (``settings``).
"""
