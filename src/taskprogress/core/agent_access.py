"""Who may post agent reports. ZStack accepts them from anyone who can reach its port (spec §9.12); here only
from configured networks (loopback by default) and, when a token is configured, only with that token.

The address checked is the peer of the TCP connection. ``X-Forwarded-For`` is never trusted: anyone can write
it, and a reverse proxy in front of the server must then be inside the allowed networks itself.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from taskprogress.errors import InvalidArgument

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
TOKEN_HEADER = "X-Agent-Token"
MIN_TOKEN_LENGTH = 16
# Printable ASCII without spaces: a header value survives every HTTP client and proxy unchanged.
_TOKEN_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F))


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs or plain addresses (``10.0.0.0/8, 192.168.1.7, ::1``)."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            raise InvalidArgument(f"agent networks must be comma-separated CIDRs such as 10.0.0.0/8, got {text!r}")
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as exc:
            raise InvalidArgument(f"agent network {item!r} is not a CIDR such as 10.0.0.0/8: {exc}") from None
    return tuple(networks)


def check_token(token: str) -> str:
    """A configured token must be hard to guess and safe in a header."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise InvalidArgument(f"the agent token must have at least {MIN_TOKEN_LENGTH} characters, got {len(token)}")
    if not set(token) <= _TOKEN_CHARS:
        raise InvalidArgument("the agent token may only contain printable ASCII characters without spaces")
    return token


@dataclass(frozen=True, slots=True)
class AgentAccess:
    networks: tuple[Network, ...] = LOOPBACK
    token: str | None = None

    def __post_init__(self) -> None:
        if not self.networks:
            raise InvalidArgument("at least one agent network is needed (0.0.0.0/0,::/0 allows any address)")
        if self.token is not None:
            check_token(self.token)

    def refusal(self, client_host: str | None, presented_token: str | None) -> str | None:
        """Why a report from ``client_host`` with ``presented_token`` is refused; None when it is accepted."""
        try:
            address = ipaddress.ip_address(client_host or "")
        except ValueError:
            return f"agent reports are accepted only from known IP addresses, the client's is [{client_host}]"
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d
        if not any(address in network for network in self.networks):
            return f"agent reports are not accepted from [{address}]: it is outside the allowed agent networks"
        if self.token is None:
            return None
        if presented_token is None:
            return f"missing header '{TOKEN_HEADER}': this server accepts agent reports only with its agent token"
        # Constant time, so the token cannot be guessed byte by byte from response times.
        if not hmac.compare_digest(presented_token.encode(), self.token.encode()):
            return f"wrong '{TOKEN_HEADER}'"
        return None
