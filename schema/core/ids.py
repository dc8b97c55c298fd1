"""Global ids in inputs: opaque strings that name a record of one type."""
from __future__ import annotations

from strawberry import relay

from domain.errors import not_found


def decode_id(value: str, type_name: str, *field_path: str) -> int:
    """The primary key behind a global id of `type_name`, or a NOT_FOUND error on `field_path`."""
    try:
        gid = relay.GlobalID.from_id(value)
        if gid.type_name == type_name:
            return int(gid.node_id)
    except (ValueError, TypeError):
        pass
    raise not_found(f"'{value}' is not the id of a {type_name}", *field_path)


def encode_id(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))
