"""Projects (teams): limits shared by every key of the project."""
