"""Global ids in inputs: opaque strings that name a record of one type."""
from __future__ import annotations

from strawberry import relay

from domain.batch import fits_id
from domain.errors import not_found


# No key is larger (ids are 32- or 64-bit by table): a larger number would overflow a query, not miss a row
MAX_PK = 2**63 - 1


def node_pk(node_id: str) -> int:
    """The primary key in the node part of a global id, or 0 (which no row has) when it cannot be one."""
    try:
        pk = int(node_id)
    except (ValueError, TypeError):
        return 0
    return pk if 0 < pk <= MAX_PK else 0


def decode_id(value: str, type_name: str, *field_path: str) -> int:
    """The primary key behind a global id of `type_name`, or a NOT_FOUND error on `field_path`."""
    try:
        gid = relay.GlobalID.from_id(value)
        pk = node_pk(gid.node_id) if gid.type_name == type_name else 0
        if pk and fits_id(type_name, pk):
            return pk
    except (ValueError, TypeError):
        pass
    raise not_found(f"'{value}' is not the id of a {type_name}", *field_path)


def encode_id(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))
