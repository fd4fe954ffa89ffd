"""Search attributes that let operators find experiments in the Temporal UI.

Only non-personal values: Temporal never encrypts search attributes.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

MUNICIPALITY = SearchAttributeKey.for_keyword("WijklabMunicipality")
NEIGHBOURHOOD = SearchAttributeKey.for_keyword("WijklabNeighbourhood")
STAGE = SearchAttributeKey.for_keyword("WijklabStage")
STATUS = SearchAttributeKey.for_keyword("WijklabStatus")
CYCLE = SearchAttributeKey.for_int("WijklabCycle")

ALL = (MUNICIPALITY, NEIGHBOURHOOD, STAGE, STATUS, CYCLE)
