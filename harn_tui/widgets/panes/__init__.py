"""The run detail's panes, one widget each, on one base class."""
