"""Seeding moto's server for the doctor's control-plane tests: VPCs, endpoints, REST APIs.

One home for the worlds both the moto tests (``tests/doctor/test_doctor_aws.py``) and the
network-namespace worlds (``tests/e2e/netns_aws.py``) build. moto's gaps (test-lab.md §3)
are worked around here: new VPCs get their DNS attributes set explicitly, endpoints are
created with the wanted private-DNS setting (``modify_vpc_endpoint`` has no effect).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["ALLOW_ALL", "DENY_ALL", "REGION", "Moto"]

REGION = "us-east-1"
ALLOW_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    ],
}
DENY_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    ],
}


@dataclass
class Moto:
    """moto's server in this namespace, and botocore clients seeding it."""

    url: str
    ec2: Any
    apigw: Any

    def network(
        self,
        *,
        zones: tuple[str, ...] = ("us-east-1a", "us-east-1b"),
        sg_443: bool = True,
        private_dns: bool = True,
        endpoint_policy: dict[str, Any] | None = None,
        dns_hostnames: bool = True,
        endpoint: bool = True,
    ) -> dict[str, str]:
        """A VPC (10.0.0.0/16) with subnets in ``zones`` and an execute-api endpoint."""
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        self.ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": dns_hostnames})
        if not endpoint:
            return {"vpc": vpc}
        subnets = [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=z)[
                "Subnet"
            ]["SubnetId"]
            for i, z in enumerate(zones, 1)
        ]
        sg = self.ec2.create_security_group(
            GroupName=f"ep-{vpc}", Description="endpoint", VpcId=vpc
        )["GroupId"]
        port = 443 if sg_443 else 22  # a group that admits only SSH: 443 is not let in
        # The namespace's callers connect from loopback: a group that admits the VPC admits
        # them too, or every world would also be "no rule admits 127.0.0.1".
        ranges = [{"CidrIp": "10.0.0.0/16"}, {"CidrIp": "127.0.0.0/8"}]
        self.ec2.authorize_security_group_ingress(
            GroupId=sg,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": ranges}
            ],
        )
        kw: dict[str, Any] = {}
        if endpoint_policy is not None:
            kw["PolicyDocument"] = json.dumps(endpoint_policy)
        vpce = self.ec2.create_vpc_endpoint(
            VpcEndpointType="Interface",
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{REGION}.execute-api",
            SubnetIds=subnets,
            SecurityGroupIds=[sg],
            PrivateDnsEnabled=private_dns,
            **kw,
        )["VpcEndpoint"]["VpcEndpointId"]
        return {"vpc": vpc, "sg": sg, "vpce": vpce}

    def api(
        self,
        *,
        types: tuple[str, ...] = ("PRIVATE",),
        vpces: list[str] | None = None,
        policy: dict[str, Any] | None = ALLOW_ALL,
    ) -> str:
        """A REST API with ``GET /`` (MOCK) deployed to ``prod``; its id."""
        kw: dict[str, Any] = {
            "endpointConfiguration": {
                "types": list(types),
                **({"vpcEndpointIds": vpces} if vpces else {}),
            }
        }
        if policy is not None:
            kw["policy"] = json.dumps(policy)
        api_id: str = self.apigw.create_rest_api(name="netns", **kw)["id"]
        root = self.apigw.get_resources(restApiId=api_id)["items"][0]["id"]
        self.apigw.put_method(
            restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
        )
        self.apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
        self.apigw.create_deployment(restApiId=api_id, stageName="prod")
        return api_id
