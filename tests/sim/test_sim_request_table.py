"""The request table (one numpy column per field) and the KV ledger's admission check."""

from __future__ import annotations

import math

import numpy as np
import pytest
from toy import toy_system

from kvpipe.mapping.placement import place
from kvpipe.perf.inputs import inputs_from_system
from kvpipe.perf.service import resident_kv_bytes, service_table
from kvpipe.sim import Requests
from kvpipe.sim.admission import KvLedger
from kvpipe.sim.table import RequestTable


def test_table_grows_past_its_capacity_and_keeps_rows():
    t = RequestTable(capacity=2)
    rows = [t.add(0.5 * i, 10 + i, 3, client=i % 2) for i in range(5)]
    assert rows == [0, 1, 2, 3, 4] and len(t) == 5
    t.first_token(3, 2.0)
    t.finished(3, 4.0)
    t.reject(4, "queue_full")
    rec = t.records()
    np.testing.assert_array_equal(rec.arrival_s, [0.0, 0.5, 1.0, 1.5, 2.0])
    np.testing.assert_array_equal(rec.prompt_tokens, [10, 11, 12, 13, 14])
    assert rec.finish_s[3] == 4.0 and math.isnan(rec.finish_s[2])
    assert rec.ttft_s[3] == pytest.approx(0.5)  # 2.0 - 1.5
    assert rec.rejected.tolist() == [False, False, False, False, True]
    assert rec.reject_reason.tolist() == ["", "", "", "", "queue_full"]
    assert t.completed == 1 and t.rejected == 1
    assert t.generated[3] == 3  # a finished request has produced its whole output


def test_open_loop_table_holds_the_requests():
    reqs = Requests.of([0.0, 1.0, 2.0], [7, 8, 9], [1, 2, 3])
    rec = RequestTable(reqs).records()
    np.testing.assert_array_equal(rec.output_tokens, [1, 2, 3])
    assert np.isnan(rec.admit_s).all() and (rec.preemptions == 0).all()


def test_unknown_rejection_reason_is_refused():
    t = RequestTable(Requests.of([0.0], [5], [5]))
    with pytest.raises(ValueError, match="unknown rejection reason"):
        t.reject(0, "because")
    assert t.records().reject_reason.tolist() == [""] and t.rejected == 0


def test_ledger_holds_only_what_fits_and_frees_it():
    s = toy_system(users=4)
    table = service_table(place(s.model, s.precisions, s.chip, s.mapping), inputs_from_system(s))
    ledger = KvLedger(table)
    per_token = resident_kv_bytes(table, np.float64(1.0))
    cap = table.kv_capacity_bytes_per_group
    # the largest context that fits one group, by P3 (bytes grow linearly without windows)
    fit = int(cap / per_token[table.has_kv].max())
    assert ledger.fits_alone(fit) and not ledger.fits_alone(fit + 1)
    assert ledger.try_hold(0, fit // 2 + 1)
    assert not ledger.try_hold(1, fit // 2 + 1)  # two halves and a token do not fit
    assert ledger.try_hold(1, fit // 2 - 1)
    held = resident_kv_bytes(table, np.float64(fit // 2 + 1)) + resident_kv_bytes(table, np.float64(fit // 2 - 1))
    np.testing.assert_array_equal(ledger.used, held)
    ledger.release(0)
    ledger.release(1)
    assert ledger.used.tolist() == ledger.used_list and np.all(ledger.used == 0.0)
