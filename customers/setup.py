"""Registers customers' home page sections and demo steps (imported by CustomersConfig.ready)."""
