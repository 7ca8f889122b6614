"""moviec: compile a TOML scene file into a pvpython script, frames and a movie."""

__version__ = "0.1.0"
