"""The base of every scene table and the value types the scene model's tables share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict


class Table(BaseModel):
    """Base of every scene table: unknown keys are errors, values are frozen and finite.

    Scalars are strict (TOML is typed: `frames = "5"` is an error, not 5); arrays become
    tuples.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        strict=False,
        use_attribute_docstrings=True,
        validate_default=True,
    )


Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Unit = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Strict(), Field(gt=0.0, allow_inf_nan=False)]
Int = Annotated[int, Strict()]
Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]
Vec3 = Annotated[tuple[Number, ...], Field(min_length=3, max_length=3)]
RGB = Annotated[tuple[Unit, ...], Field(min_length=3, max_length=3)]
