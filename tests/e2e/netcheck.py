"""Which internet sockets does a process (and its children) hold? Read from /proc, Linux only.

For every socket inode in ``/proc/<pid>/fd`` we look the inode up in ``/proc/<pid>/net/{tcp,tcp6,
udp,udp6}`` (the tables of the process's own network namespace) and report its local and remote
address. Unix-domain sockets never leave the machine and are not reported.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

TCP_STATES = {
    "01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
    "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN",
    "0B": "CLOSING",
}


@dataclass(frozen=True)
class InetSocket:
    pid: int
    proto: str
    local: str
    remote: str
    remote_ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    state: str

    @property
    def remote_is_local(self) -> bool:
        ip = self.remote_ip
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        # Unspecified (0.0.0.0 / ::) means "not connected": listening or unbound.
        return ip.is_loopback or ip.is_unspecified

    def __str__(self) -> str:
        return f"pid {self.pid} {self.proto} {self.local} -> {self.remote} {self.state}"


def _decode_addr(hexaddr: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    host, port = hexaddr.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = ipaddress.IPv4Address(raw[::-1])
    else:  # four 32-bit words, each in host (little-endian) order
        ip = ipaddress.IPv6Address(b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4)))
    return ip, int(port, 16)


def _fmt(ip, port: int) -> str:
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        entries = list(fd_dir.iterdir())
    except (FileNotFoundError, PermissionError):
        return inodes
    for fd in entries:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def inet_sockets(pid: int) -> list[InetSocket]:
    """The TCP/UDP sockets (IPv4 and IPv6) that ``pid`` holds open."""
    inodes = socket_inodes(pid)
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]
        except (FileNotFoundError, PermissionError):
            continue
        for line in lines:
            f = line.split()
            if len(f) < 10 or f[9] not in inodes:
                continue
            lip, lport = _decode_addr(f[1])
            rip, rport = _decode_addr(f[2])
            state = TCP_STATES.get(f[3], f[3]) if proto.startswith("tcp") else "-"
            found.append(InetSocket(pid, proto, _fmt(lip, lport), _fmt(rip, rport), rip, state))
    return found


def descendants(pid: int) -> list[int]:
    """``pid`` and all its descendants (WebKit's web and network processes, for instance)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def find_app_pids(binary: Path, env_mark: str | None) -> list[int]:
    """PIDs running ``binary``; with ``env_mark`` (``NAME=VALUE``), only those carrying it."""
    binary = binary.resolve()
    pids = []
    try:
        out = subprocess.run(
            ["pgrep", "-f", str(binary)], capture_output=True, text=True, check=False
        ).stdout.split()
    except FileNotFoundError:  # no procps: scan /proc ourselves
        out = [d.name for d in Path("/proc").iterdir() if d.name.isdigit()]
    for p in out:
        pid = int(p)
        try:
            exe = Path(os.readlink(f"/proc/{pid}/exe"))
        except OSError:
            continue
        if exe.name.removesuffix(" (deleted)") != binary.name or exe.parent != binary.parent:
            continue
        if env_mark:
            try:
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if env_mark.encode() not in env:
                continue
        pids.append(pid)
    return pids
