"""One trial's parameters and outcomes as the reference's long rows (``param_data``/``outcome_data``).

Shared by ``record_trial`` and the upgrade that rebuilds trials from logged ``tell`` messages, so
both name multi-stimulus parameters and outcomes the same way the reference's server does.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import BadInputError

ARRAY_LIKE = (list, tuple, np.ndarray)


def param_text(value: Any, name: str) -> str:
    """A parameter value as the reference stores it (``str(value)``), refusing non-scalars."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (str, bool, int, float)):
        return str(value)
    raise BadInputError(
        f"parameter {name!r} must be a str, int, float or bool, not {type(value).__name__}"
    )


def outcome_float(value: Any, name: str) -> float:
    """An outcome value as a float, refusing text and containers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Real):
        return float(value)
    raise BadInputError(f"outcome {name!r} must be a real number, not {type(value).__name__}")


def check_name(name: Any, kind: str) -> str:
    if not isinstance(name, str) or not name:
        raise BadInputError(f"{kind} names must be non-empty strings, got {name!r}")
    return name


def param_rows(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(param_name, param_value)`` rows; a list value is one trial's stimuli: ``name_stimuli0..``."""
    if not isinstance(params, Mapping):
        raise BadInputError(f"params must be a mapping of name to value, not {type(params).__name__}")
    rows = []
    for name, value in params.items():
        check_name(name, "parameter")
        if isinstance(value, ARRAY_LIKE):
            rows += [(f"{name}_stimuli{j}", param_text(v, name)) for j, v in enumerate(value)]
        else:
            rows.append((name, param_text(value, name)))
    return rows


def outcome_rows(outcomes: Any) -> list[tuple[str, float]]:
    """``(outcome_name, outcome_value)`` rows: a number is named ``outcome``, a mapping names its own."""
    if isinstance(outcomes, Mapping):
        return [(check_name(n, "outcome"), outcome_float(v, n)) for n, v in outcomes.items()]
    return [("outcome", outcome_float(outcomes, "outcome"))]


def legacy_tell(contents: Any, where: str) -> tuple[dict[str, Any], dict[str, Any], bool, dict[str, Any]]:
    """``(params, outcomes, model_data, extra)`` of a logged tell, read as the reference's back-fill does.

    One tell is one trial; a one-element list is a plain value, longer lists are stimuli; values
    are floats where they parse; a list outcome is ``outcome_0..`` (inner lists must have one item).
    """
    try:
        message = contents["message"]
        config, outcome = message["config"], message["outcome"]
    except (TypeError, KeyError):
        raise BadInputError(f"{where} is not a tell message with 'message.config' and 'message.outcome'") from None
    params = {str(k): _legacy_param(v) for k, v in dict(config).items()}
    if isinstance(outcome, ARRAY_LIKE):
        outcomes = {f"outcome_{j}": _as_float(_single(v, where)) for j, v in enumerate(outcome)}
    else:
        outcomes = {"outcome": _as_float(outcome)}
    extra = contents.get("extra_info") or {}
    return params, outcomes, bool(message.get("model_data", True)), dict(extra)


def _legacy_param(value: Any) -> Any:
    if isinstance(value, ARRAY_LIKE):
        values = [_as_float(v) for v in value]
        return values[0] if len(values) == 1 else values
    return _as_float(value)


def _as_float(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _single(value: Any, where: str) -> Any:
    if isinstance(value, ARRAY_LIKE):
        if len(value) != 1:
            raise BadInputError(f"{where}: multi-outcome values must be lists of length 1, got {value!r}")
        return value[0]
    return value

