"""AWS partitions and their DNS suffixes, read from botocore's own partition data.

The table is never written by hand: a new partition or region that botocore
knows about is known here too. The JSON file is read straight from botocore's
package directory, without importing botocore, so that building an invoke URL
stays cheap (``import botocore`` costs ~150 ms).
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from privateapi._errors import InvalidInputError

__all__ = ["Partition", "partition_for_region", "partitions"]


@dataclass(frozen=True, slots=True)
class Partition:
    """An AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``, ...).

    Example:
        >>> from privateapi import partition_for_region
        >>> partition_for_region("cn-north-1").dns_suffix
        'amazonaws.com.cn'
    """

    name: str
    dns_suffix: str
    dualstack_dns_suffix: str
    region_regex: str
    regions: frozenset[str]

    def has_region(self, region: str) -> bool:
        """Whether ``region`` belongs to this partition (listed, or matching its pattern)."""
        return region in self.regions or re.fullmatch(self.region_regex, region) is not None


def _load_raw() -> dict[str, Any]:
    spec = importlib.util.find_spec("botocore")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for base in locations:
        data_dir = Path(base) / "data"
        plain = data_dir / "partitions.json"
        if plain.is_file():
            return dict(json.loads(plain.read_text(encoding="utf-8")))
        packed = data_dir / "partitions.json.gz"
        if packed.is_file():  # pragma: no cover - some botocore builds compress their data
            return dict(json.loads(gzip.decompress(packed.read_bytes())))
    # Fall back to botocore's loader if the data moved (slower: imports botocore).
    from botocore.loaders import Loader  # pragma: no cover

    return dict(Loader().load_data("partitions"))  # pragma: no cover


@functools.cache
def partitions() -> tuple[Partition, ...]:
    """Every partition botocore knows, in botocore's order."""
    result = []
    for raw in _load_raw()["partitions"]:
        outputs = raw.get("outputs", {})
        # botocore lists pseudo-regions such as "aws-global" that no API lives in.
        regions = frozenset(r for r in raw.get("regions", {}) if not r.endswith("-global"))
        result.append(
            Partition(
                name=str(outputs.get("name", raw["id"])),
                dns_suffix=str(outputs["dnsSuffix"]),
                dualstack_dns_suffix=str(outputs.get("dualStackDnsSuffix", "")),
                region_regex=str(raw["regionRegex"]),
                regions=regions,
            )
        )
    return tuple(result)


@functools.cache
def partition_for_region(region: str) -> Partition:
    """The partition a region belongs to.

    Listed regions win over patterns, so a region named explicitly in one
    partition is never claimed by another partition's pattern.

    Raises:
        InvalidInputError: the region belongs to no partition.
    """
    if not isinstance(region, str) or not region:
        raise InvalidInputError("region", region, "an AWS region such as 'us-east-1'")
    parts = partitions()
    for p in parts:
        if region in p.regions:
            return p
    for p in parts:
        if re.fullmatch(p.region_regex, region):
            return p
    raise InvalidInputError(
        "region",
        region,
        "an AWS region: a geography, a direction and a number, such as 'us-east-1',"
        " 'eu-central-2', 'ap-southeast-3' or 'us-gov-west-1'",
    )
