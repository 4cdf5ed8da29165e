"""The benchmarks' network: the simulator in its own process, plain and behind TLS with a delay.

`python -m benchmarks.network CERT KEY DELAY` serves, on loopback,
- the Pushover simulator over plain HTTP, and
- the same simulator the way a user's Home Assistant meets Pushover: a TLS 1.3 terminator
  (CERT and KEY) behind a proxy that holds every byte DELAY seconds in each direction, and a
  new connection's first bytes two DELAYs more (the TCP handshake's round trip, which a
  local connect does not pay), so a request on a kept-alive connection costs one round trip
  and one on a new connection three, as over a real link.
It prints one JSON line ({"plain": port, "tls": port, "token": ..., "user": ...}), then answers
each line on stdin, "reset" (forget the recorded requests and deliveries) or "stats" (requests
by path, deliveries), with one JSON line, until stdin ends. `write_certificates` makes a CA
and CERT and KEY for 127.0.0.1 (clients trust the CA).
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from functools import partial
import ipaddress
import json
from pathlib import Path
import ssl
import sys

from pushover_simulator import PushoverSimulator

HOST = "127.0.0.1"
CONNECTING: set[asyncio.Task[tuple[asyncio.BaseTransport, Side]]] = set()


def write_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """Write a CA and a server certificate for 127.0.0.1 signed by it; return (ca, cert, key)."""
    from cryptography import x509  # noqa: PLC0415 (only the parent needs it)
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415

    now = datetime.now(UTC)

    def certificate(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None
    ) -> x509.CertificateBuilder:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        public = key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer.subject if issuer else name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        certificate("Pushover Plus benchmark CA", ca_key, None)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        certificate(HOST, key, ca)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class DelayedLink:
    """One direction of a delayed connection: bytes leave DELAY after they arrived, in order."""

    def __init__(self, delay: float, first_delay: float) -> None:
        """Hold bytes for delay seconds (the first ones for first_delay)."""
        self.delay = first_delay
        self.later_delay = delay
        self.target: asyncio.Transport | None = None
        self.pending: deque[tuple[float, bytes | None]] = deque()
        self.timer: asyncio.TimerHandle | None = None

    def send(self, data: bytes | None) -> None:
        """Queue bytes (None: close the far side) to leave after the delay."""
        loop = asyncio.get_running_loop()
        self.pending.append((loop.time() + self.delay, data))
        self.delay = self.later_delay
        self._schedule()

    def _schedule(self) -> None:
        if self.timer is None and self.pending:
            loop = asyncio.get_running_loop()
            self.timer = loop.call_at(self.pending[0][0], self._flush)

    def _flush(self) -> None:
        self.timer = None
        now = asyncio.get_running_loop().time()
        while self.pending and self.pending[0][0] <= now and self.target is not None:
            data = self.pending.popleft()[1]
            if data is None:
                self.target.close()
            else:
                self.target.write(data)
        if self.pending and self.target is None:  # the far side is still connecting
            self.pending[0] = (now + 0.001, self.pending[0][1])
        self._schedule()


class Side(asyncio.Protocol):
    """One end of the delaying proxy: what it receives goes out through a DelayedLink."""

    def __init__(self, outgoing: DelayedLink, incoming: DelayedLink) -> None:
        """Send through outgoing; incoming writes to this side's transport."""
        self.outgoing = outgoing
        self.incoming = incoming

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Let the other direction write here."""
        assert isinstance(transport, asyncio.Transport)
        self.incoming.target = transport

    def data_received(self, data: bytes) -> None:
        """Pass the bytes on, late."""
        self.outgoing.send(data)

    def connection_lost(self, exc: Exception | None) -> None:
        """Close the other side, late."""
        self.outgoing.send(None)


def delaying_proxy(upstream_port: int, delay: float) -> Side:
    """Accept a client connection and connect it, delayed both ways, to upstream_port."""
    to_server = DelayedLink(delay, 3 * delay)
    to_client = DelayedLink(delay, delay)
    connect = asyncio.get_running_loop().create_connection(
        lambda: Side(to_client, to_server), HOST, upstream_port
    )
    task = asyncio.ensure_future(connect)
    CONNECTING.add(task)
    task.add_done_callback(CONNECTING.discard)
    return Side(to_server, to_client)


async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes from reader to writer until the end, then close writer."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def terminate_tls(
    upstream_port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Forward a decrypted connection to the plain simulator."""
    upstream_reader, upstream_writer = await asyncio.open_connection(HOST, upstream_port)
    await asyncio.gather(copy(reader, upstream_writer), copy(upstream_reader, writer))


def server_context(cert: str, key: str) -> ssl.SSLContext:
    """Return a TLS 1.3-only server context."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(cert, key)
    return context


async def serve(cert: str, key: str, delay: float) -> None:
    """Serve until stdin ends, answering the commands on it."""
    simulator = PushoverSimulator()
    await simulator.start()
    loop = asyncio.get_running_loop()
    terminator = await asyncio.start_server(
        partial(terminate_tls, simulator.port), HOST, 0, ssl=server_context(cert, key)
    )
    terminator_port = terminator.sockets[0].getsockname()[1]
    proxy = await loop.create_server(partial(delaying_proxy, terminator_port, delay), HOST, 0)
    reply = {
        "plain": simulator.port,
        "tls": proxy.sockets[0].getsockname()[1],
        "token": simulator.add_app("Benchmark", quota_limit=1_000_000),
        "user": simulator.add_user(devices=("phone",)),
    }
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while True:
        print(json.dumps(reply), flush=True)
        command = (await stdin.readline()).decode().strip()
        if command == "reset":
            simulator.reset_stats()
            reply = {}
        elif command == "stats":
            requests = Counter(request.path for request in simulator.requests)
            reply = {"requests": requests, "deliveries": len(simulator.deliveries)}
        else:
            break
    proxy.close()
    terminator.close()
    await simulator.stop()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2], float(sys.argv[3])))
