"""rosidl_runtime_py.set_message_fields, re-done, for the ros2 CLI stand-ins.

`ros2 topic pub` and `ros2 service call` build their message from YAML text;
the CLI is not installable here, so test_readme.py builds it with these, with
errors that name the field path.
"""

import array
import importlib

import numpy
import yaml
from rosidl_parser.definition import AbstractNestedType, NamespacedType


def import_type(name, kind="msg"):
    """'pkg/msg/Name' (or 'pkg/Name') → the rclpy class, with a clear error."""
    parts = name.split("/")
    if len(parts) == 2:
        parts = [parts[0], kind, parts[1]]
    if len(parts) != 3 or parts[1] != kind or not all(parts):
        raise ValueError(f"type {name!r} is not of the form pkg/{kind}/Name")
    try:
        return getattr(importlib.import_module(f"{parts[0]}.{kind}"), parts[2])
    except (ImportError, AttributeError) as e:
        raise ValueError(f"type {name!r} cannot be imported ({e}): is its package built and sourced?") from None


class FieldError(ValueError):
    """A YAML value that does not fit the message; the text names the field path."""


def set_message_fields(msg, values, now=None, path=""):
    """Fill msg from a YAML-loaded dict, as rosidl_runtime_py.set_message_fields.

    Nested dicts fill nested messages, lists fill sequences and arrays
    (elements of message type from dicts), a scalar is converted by the
    field's Python type (so an int sets a float field; like the original, a
    float given to an int field is truncated). With now (a builtin Time), a
    Header given as 'auto' gets stamp now and a Time given as 'now' is now,
    as `ros2 topic pub` expands them. Differences from the original: errors
    are FieldError naming the field path (the original raises AttributeError
    or TypeError without it); messages made here check field types and
    ranges as they are set (check_fields=True), so a value out of range fails
    here rather than when publishing; and 'auto'/'now' are expanded once,
    here, rather than at every publish.
    """
    if not isinstance(values, dict):
        raise FieldError(f"{path or type(msg).__name__}: expected a mapping of field names to values, "
                         f"got {type(values).__name__} {values!r}")
    fields = msg.get_fields_and_field_types()
    slots = dict(zip(fields, msg.SLOT_TYPES))
    for name, value in values.items():
        fpath = f"{path}.{name}" if path else str(name)
        if name not in fields:
            raise FieldError(f"{type(msg).__name__} has no field {fpath!r}; its fields are {', '.join(fields)}")
        try:
            setattr(msg, name, _field_value(getattr(msg, name), slots[name], value, now, fpath))
        except FieldError:
            raise
        except (ValueError, TypeError, AssertionError, OverflowError) as e:
            raise FieldError(f"{fpath}: {value!r} does not fit its type {fields[name]} "
                             f"({e or type(e).__name__})") from None
    return msg


def _field_value(current, slot, value, now, fpath):
    """value converted for a field whose current value is current."""
    cls = type(current)
    qualified = f"{cls.__module__}.{cls.__name__}"
    if isinstance(slot, AbstractNestedType) and isinstance(slot.value_type, NamespacedType):
        if not isinstance(value, list):
            raise FieldError(f"{fpath}: expected a list of {slot.value_type.name}, got {value!r}")
        elem = getattr(importlib.import_module(".".join(slot.value_type.namespaces)), slot.value_type.name)
        return [set_message_fields(elem(check_fields=True), v, now, f"{fpath}[{i}]") for i, v in enumerate(value)]
    if cls is array.array:
        return array.array(current.typecode, value)
    if cls is numpy.ndarray:
        return numpy.array(value, dtype=current.dtype)
    if type(value) is cls:
        return value
    if now is not None and qualified == "std_msgs.msg._header.Header" and value == "auto":
        return cls(stamp=now)
    if now is not None and qualified == "builtin_interfaces.msg._time.Time" and value == "now":
        return now
    if hasattr(cls, "get_fields_and_field_types"):  # a nested message
        return set_message_fields(cls(check_fields=True), value, now, fpath)
    return cls(value)


def message_from_yaml(cls, text, now=None):
    """ros2 topic pub / service call: YAML text → a filled message, or FieldError."""
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise FieldError(f"the values {text!r} are not valid YAML: {e}") from None
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise FieldError(f"the values {text!r} need to be a YAML mapping like \"{{data: 1.0}}\"")
    return set_message_fields(cls(check_fields=True), values, now)
