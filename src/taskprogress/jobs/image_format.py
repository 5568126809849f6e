"""Recognising a disk image's format from its first bytes, for an AddImage without ``format``.

Only the signatures that sit at the start of the file are read (the first 64 KiB): qcow2, vmdk (sparse
extent or descriptor), vhdx, vhd (the copy of the footer that dynamic disks keep at offset 0) and ISO 9660
(its volume descriptor at 32 KiB). Anything else is raw, as a raw disk has no signature at all.
"""

from __future__ import annotations

_AT_START = (
    (b"QFI\xfb", "qcow2"),
    (b"KDMV", "vmdk"),
    (b"# Disk DescriptorFile", "vmdk"),
    (b"vhdxfile", "vhdx"),
    (b"conectix", "vhd"),
)
_ISO_DESCRIPTOR_OFFSET = 0x8001  # "CD001" follows the type byte of the first volume descriptor


def detect_format(head: bytes) -> str:
    for magic, name in _AT_START:
        if head.startswith(magic):
            return name
    if head[_ISO_DESCRIPTOR_OFFSET : _ISO_DESCRIPTOR_OFFSET + 5] == b"CD001":
        return "iso"
    return "raw"
