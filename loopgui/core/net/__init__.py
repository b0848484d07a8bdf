"""Sockets: the snapshot, how it is scanned (sock_diag, psutil), connectivity probes, closing one connection."""
