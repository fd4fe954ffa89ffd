"""The shapes of request bodies, for the OpenAPI document (answers: `services.api.answers`).

The domain checks every field (`domain.decisions`); these models describe them for clients
and keep types loose enough that the domain's clearer messages reach the caller.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from pydantic.config import JsonDict

from domain.decisions import MAX_ACT_DAYS, TIMER_DECISIONS, DecisionType
from domain.subscriptions import EVENT_TYPES
from domain.values import MAX_SHORT_TEXT, NEIGHBOURHOOD_CODE_PATTERN, NeighbourhoodKind, Theme

# Constraints shown in the OpenAPI document (so clients and generated tests know them) but
# checked by the domain, whose refusals say more than a type error would.
_TEXT: JsonDict = {"minLength": 1, "maxLength": MAX_SHORT_TEXT}


class NeighbourhoodIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(
        examples=["WK034401"],
        description="CBS code where known, else a slug",
        json_schema_extra={"pattern": NEIGHBOURHOOD_CODE_PATTERN},
    )
    name: str = Field(examples=["Overvecht"], json_schema_extra=_TEXT)
    kind: str = Field(
        examples=["wijk"],
        description="wijk, buurt, kern or dorp",
        json_schema_extra={"enum": [k.value for k in NeighbourhoodKind]},
    )


class StartExperiment(BaseModel):
    model_config = ConfigDict(extra="allow")
    neighbourhood: NeighbourhoodIn
    title: str = Field(json_schema_extra=_TEXT)
    question: str = Field(description="The learning question", json_schema_extra=_TEXT)
    residents_agenda: str = Field(
        description="The residents' question or initiative it comes from", json_schema_extra=_TEXT
    )
    themes: list[str] = Field(
        examples=[["energy_transition", "health"]],
        json_schema_extra={
            "items": {"type": "string", "enum": [t.value for t in Theme]},
            "minItems": 1,
            "uniqueItems": True,
        },
    )
    # Strict: JSON `true` is no number of days (pydantic would read it as 1).
    act_days: StrictInt | None = Field(
        default=None,
        description="Length of the act period (default 90)",
        json_schema_extra={"minimum": 1, "maximum": MAX_ACT_DAYS},
    )
    programme_id: str | None = Field(
        default=None,
        description="The programme it is part of (same municipality, one of its neighbourhoods)",
    )


class DecisionIn(BaseModel):
    """`type` and `rationale`, plus the fields of the type (see DESIGN): revise_plan
    {description, indicators, budget, co_signers?}, advance {to}, record_finding {text,
    source, indicator?, value?, on_behalf_of?}, record_lesson {text, themes}, close {outcome},
    open_endorsement {closes_on, threshold: {count} | {share}}, endorse and object
    {comment?, round?}, record_meeting_vote {held_on, for, against, abstain, attendees,
    evidence}, co_sign {}; any but advance may carry `evidence: [id]`."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(
        examples=["advance"],
        json_schema_extra={
            "enum": [
                t.value
                for t in DecisionType
                if t is not DecisionType.START and t.value not in TIMER_DECISIONS
            ]
        },
    )
    rationale: str | None = None


class InvitedPerson(BaseModel):
    name: str = Field(json_schema_extra=_TEXT)
    contact: str | None = Field(default=None, description="an e-mail address or phone number")


class InvitationIn(BaseModel):
    """Whom to invite (`role`: resident or partner by a programme manager; any role of the
    municipality by an admin), optionally for one experiment."""

    model_config = ConfigDict(extra="forbid")
    role: str = Field(
        json_schema_extra={
            "enum": ["resident", "partner", "programme_manager", "evaluator", "admin"]
        }
    )
    person: InvitedPerson
    organisation: str | None = Field(default=None, description="a partner's organisation")
    experiment_id: str | None = None
    expires_days: StrictInt | None = Field(
        default=None, json_schema_extra={"minimum": 1, "maximum": 60}
    )
    language: str | None = Field(default=None, json_schema_extra={"enum": ["nl", "en"]})


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    experiment_id: str
    decision: DecisionIn


class SubscriptionIn(BaseModel):
    """A receiver of recorded events, signed by the Standard Webhooks specification."""

    model_config = ConfigDict(extra="forbid")
    url: StrictStr = Field(description="https://…; refused when its host is not public")
    event_types: list[StrictStr] = Field(
        json_schema_extra={"items": {"enum": list(EVENT_TYPES)}, "minItems": 1}
    )
    experiment_id: StrictStr | None = Field(default=None, description="only this experiment")


class RotationIn(BaseModel):
    """`immediate`: the old secret leaked, stop signing with it now (else it signs along
    for a day, so the receiver can switch)."""

    model_config = ConfigDict(extra="forbid")
    immediate: StrictBool = False
