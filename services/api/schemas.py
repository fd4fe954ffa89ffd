"""Request and response shapes, for the OpenAPI document.

The domain checks every field (`domain.decisions`); these models describe them for clients
and keep types loose enough that the domain's clearer messages reach the caller.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NeighbourhoodIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(examples=["WK034401"], description="CBS code where known, else a slug")
    name: str = Field(examples=["Overvecht"])
    kind: str = Field(examples=["wijk"], description="wijk, buurt, kern or dorp")


class StartExperiment(BaseModel):
    model_config = ConfigDict(extra="allow")
    neighbourhood: NeighbourhoodIn
    title: str
    question: str = Field(description="The learning question")
    residents_agenda: str = Field(description="The residents' question or initiative it comes from")
    themes: list[str] = Field(examples=[["energy_transition", "health"]])
    act_days: int | None = Field(default=None, description="Length of the act period (default 90)")


class DecisionIn(BaseModel):
    """`type` and `rationale`, plus the fields of the type (see DESIGN): revise_plan
    {description, indicators, budget}, advance {to}, record_finding {text, source, indicator?,
    value?}, record_lesson {text, themes}, close {outcome}."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["advance"])
    rationale: str | None = None


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    experiment_id: str
    decision: DecisionIn


class DecisionAnswer(BaseModel):
    decision_id: str
    experiment: dict[str, Any]
    position: int


class ExperimentPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


class Page(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None
