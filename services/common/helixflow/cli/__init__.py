"""The helixflow command line."""
