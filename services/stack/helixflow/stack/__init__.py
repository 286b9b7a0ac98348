"""The local stack (`helixflow up`): supervised worker processes, the router and the bridge on loopback."""
