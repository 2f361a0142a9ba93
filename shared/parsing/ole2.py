"""Just enough of the OLE2 compound file format (the container of legacy Office files) to name its
streams and read one: the detector tells a workbook from a Word file by its stream names, and the
XLS reader checks a workbook's extent in its `Workbook` stream before calamine allocates it."""

from __future__ import annotations

import struct
from collections.abc import Callable

from shared.parsing.errors import NotAReport

SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_STREAMS = ("Workbook", "Book")  # BIFF8 (Excel 97-2003), BIFF5
_END_OF_CHAIN = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_HEADER_DIFAT_ENTRIES = 109
_MAX_DIRECTORY_ENTRIES = 10_000


class Entry:
    __slots__ = ("name", "kind", "start", "size")

    def __init__(self, name: str, kind: int, start: int, size: int) -> None:
        self.name, self.kind, self.start, self.size = name, kind, start, size


class CompoundFile:
    """A read-only view of an OLE2 file's streams. Raises NotAReport when the structure is damaged."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(SIGNATURE) or len(data) < 512:
            raise NotAReport("unreadable OLE2 file: no header")
        self._data = data
        sector_shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if sector_shift not in (9, 12) or mini_shift != 6:
            raise NotAReport("unreadable OLE2 file: bad sector size")
        self._sector_size = 1 << sector_shift
        self._sector_count = max(len(data) // self._sector_size - 1, 0)
        (fat_sectors, directory_start, _, self._mini_cutoff, mini_fat_start, _, difat_start, difat_count) = \
            struct.unpack_from("<IIIIIIII", data, 0x2C)
        fat_sector_ids = list(struct.unpack_from(f"<{_HEADER_DIFAT_ENTRIES}I", data, 0x4C))
        sector = difat_start
        for _ in range(min(difat_count, self._sector_count)):
            if sector >= self._sector_count:
                break
            entries = struct.unpack_from(f"<{self._sector_size // 4}I", self._sector(sector))
            fat_sector_ids.extend(entries[:-1])
            sector = entries[-1]
        fat_sector_ids = [s for s in fat_sector_ids[:fat_sectors] if s < self._sector_count]
        self._fat = b"".join(self._sector(s) for s in fat_sector_ids)
        directory = self._chain_bytes(directory_start, self._fat, self._sector, self._sector_count)
        self.entries = self._directory(directory, wide_sizes=sector_shift == 12)
        root = self.entries[0] if self.entries and self.entries[0].kind == 5 else None
        self._mini_stream = b""
        self._mini_fat = b""
        if root is not None:
            self._mini_stream = self._chain_bytes(root.start, self._fat, self._sector, self._sector_count)[:root.size]
            self._mini_fat = self._chain_bytes(mini_fat_start, self._fat, self._sector, self._sector_count)

    def stream_names(self) -> set[str]:
        return {entry.name for entry in self.entries if entry.kind == 2}

    def read_stream(self, name: str) -> bytes:
        """The named stream's bytes (the first stream of that name)."""
        for entry in self.entries:
            if entry.kind == 2 and entry.name == name:
                if entry.size < self._mini_cutoff:
                    mini_sectors = len(self._mini_stream) // 64
                    return self._chain_bytes(entry.start, self._mini_fat, self._mini_sector, mini_sectors)[:entry.size]
                return self._chain_bytes(entry.start, self._fat, self._sector, self._sector_count)[:entry.size]
        raise NotAReport(f"unreadable OLE2 file: no {name} stream")

    def _sector(self, index: int) -> bytes:
        offset = (index + 1) * self._sector_size
        return self._data[offset:offset + self._sector_size]

    def _mini_sector(self, index: int) -> bytes:
        return self._mini_stream[index * 64:(index + 1) * 64]

    @staticmethod
    def _chain_bytes(start: int, fat: bytes, read: Callable[[int], bytes], sectors: int) -> bytes:
        """Follow a sector chain; a loop or a pointer out of range is damage, not a hang."""
        chunks: list[bytes] = []
        sector = start
        table_size = min(len(fat) // 4, sectors)
        for _ in range(table_size + 1):
            if sector in (_END_OF_CHAIN, _FREE):
                return b"".join(chunks)
            if sector >= table_size:
                raise NotAReport("unreadable OLE2 file: a sector chain points outside the file")
            chunks.append(read(sector))
            (sector,) = struct.unpack_from("<I", fat, sector * 4)
        raise NotAReport("unreadable OLE2 file: a sector chain loops")

    @staticmethod
    def _directory(raw: bytes, *, wide_sizes: bool) -> list[Entry]:
        entries = []
        for offset in range(0, min(len(raw), _MAX_DIRECTORY_ENTRIES * 128) - 127, 128):
            name_length, kind = struct.unpack_from("<HB", raw, offset + 64)
            start, size = struct.unpack_from("<IQ", raw, offset + 116)
            if not wide_sizes:  # version 3 files leave the high half undefined
                size &= 0xFFFFFFFF
            name = raw[offset:offset + min(name_length, 64)].decode("utf-16-le", errors="replace").rstrip("\x00")
            entries.append(Entry(name, kind, start, size))
        return entries
