"""What the web console reads from the router: live workers, finished requests, usage over time."""
