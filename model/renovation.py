"""Maintenance and decay, owner renovation and adaptation, renovation of rented stock (processes 4-6).

To be written: see the issue "Housing market, energy labels and owner decisions", items 3-5.
"""

from __future__ import annotations


def maintenance(model) -> None:
    """Condition declines with age; owners with means maintain; homes below a threshold are written off."""


def owner_renovation(model) -> None:
    """Owner-occupiers improve their label by one or more steps, or make their home lifetime-proof."""


def corporation_renovation(model) -> None:
    """Corporations and private landlords renovate their stock toward label targets."""
