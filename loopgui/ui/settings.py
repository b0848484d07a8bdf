"""Typed access to the settings loopgui remembers between runs."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from loopgui.ui.scan_thread import clamp_interval


class Settings:
    """A thin typed layer over QSettings: every value has a type and a default, and bad values fall back."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._q = qsettings if qsettings is not None else QSettings("loopgui", "loopgui")

    def _bool(self, name: str, default: bool) -> bool:
        value = self._q.value(name, default)
        if isinstance(value, str):
            return value.lower() in ("true", "1", "yes")
        return bool(value)

    def _bytes(self, name: str) -> QByteArray | None:
        value = self._q.value(name)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @property
    def interval(self) -> float:
        return clamp_interval(self._q.value("scan/interval", 1.0))

    @interval.setter
    def interval(self, seconds: float) -> None:
        self._q.setValue("scan/interval", clamp_interval(seconds))

    @property
    def filter_text(self) -> str:
        value = self._q.value("filter/text", "")
        return value if isinstance(value, str) else ""

    @filter_text.setter
    def filter_text(self, text: str) -> None:
        self._q.setValue("filter/text", text)

    @property
    def listening_only(self) -> bool:
        return self._bool("filter/listening_only", False)

    @listening_only.setter
    def listening_only(self, on: bool) -> None:
        self._q.setValue("filter/listening_only", on)

    @property
    def show_tcp(self) -> bool:
        return self._bool("filter/tcp", True)

    @show_tcp.setter
    def show_tcp(self, on: bool) -> None:
        self._q.setValue("filter/tcp", on)

    @property
    def show_udp(self) -> bool:
        return self._bool("filter/udp", True)

    @show_udp.setter
    def show_udp(self, on: bool) -> None:
        self._q.setValue("filter/udp", on)

    @property
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    @geometry.setter
    def geometry(self, data: QByteArray) -> None:
        self._q.setValue("window/geometry", data)

    @property
    def header_state(self) -> QByteArray | None:
        """Column widths, order and the sort column."""
        return self._bytes("table/header")

    @header_state.setter
    def header_state(self, data: QByteArray) -> None:
        self._q.setValue("table/header", data)

    @property
    def splitter_state(self) -> QByteArray | None:
        """How the window is split between the explanation and the table."""
        return self._bytes("window/splitter")

    @splitter_state.setter
    def splitter_state(self, data: QByteArray) -> None:
        self._q.setValue("window/splitter", data)

    def sync(self) -> None:
        self._q.sync()
