"""Applying the agent's input on the customer's desktop (pynput), Qt-free."""

from remoteapp.control.injector import InputInjector

__all__ = ["InputInjector"]
