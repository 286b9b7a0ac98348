"""The worker's model catalog: which models it may serve (``settings``, ``entries``), and
the host that loads them on demand and unloads them by policy (``host``)."""
