"""How one DRAM unit is organized and timed: the plain data both the device and its energy
figures are built from (no dependencies inside ``kvpipe.memory``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Organization:
    """How one unit's storage is split: channels x bank groups x banks x rows x row bytes."""

    channels: int
    bank_groups: int
    banks_per_group: int
    rows_per_bank: int
    row_bytes: int
    io_width_bits: int
    burst_length: int
    data_rate_bits_per_s: float  # per data pin
    dies: int = 1

    @property
    def banks_per_channel(self) -> int:
        return self.bank_groups * self.banks_per_group

    @property
    def burst_bytes(self) -> int:
        return self.io_width_bits * self.burst_length // 8

    @property
    def bursts_per_row(self) -> int:
        return self.row_bytes // self.burst_bytes

    @property
    def capacity_bytes(self) -> float:
        return float(self.channels * self.banks_per_channel * self.rows_per_bank * self.row_bytes)

    @property
    def burst_time_s(self) -> float:
        return self.burst_length / self.data_rate_bits_per_s

    @property
    def channel_peak_bw_bytes_per_s(self) -> float:
        return self.io_width_bits * self.data_rate_bits_per_s / 8.0

    @property
    def peak_bw_bytes_per_s(self) -> float:
        return self.channels * self.channel_peak_bw_bytes_per_s


@dataclass(frozen=True)
class Timing:
    """Command timings in seconds (JEDEC names: tRCD -> ``t_rcd_s`` ...).

    ``t_ccd_short_s``/``t_rrd_short_s`` apply between different bank groups,
    ``..._long_s`` within one. ``t_rtw_s`` is the read-to-write command spacing, ``t_wtr_s``
    the write-data-end to read spacing. ``refresh`` is ``all_bank`` (REFab every tREFI,
    tRFC), ``per_bank`` (one bank every tREFI/banks for tRFCpb) or ``none``.
    """

    t_ck_s: float
    t_rcd_s: float
    t_rp_s: float
    t_ras_s: float
    t_rc_s: float
    t_ccd_short_s: float
    t_ccd_long_s: float
    t_rrd_short_s: float
    t_rrd_long_s: float
    t_faw_s: float
    t_wtr_s: float
    t_rtw_s: float
    t_rfc_s: float
    t_refi_s: float
    t_cl_s: float
    t_cwl_s: float
    t_rtp_s: float
    t_wr_s: float
    refresh: str = "all_bank"
    t_rfc_pb_s: float = 0.0
    t_32aw_s: float = 0.0  # 32-activate window (GDDR); 0: none
