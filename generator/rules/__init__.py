"""The rule engine: model + as-of date → evaluation. Pure: no I/O, no clock."""
