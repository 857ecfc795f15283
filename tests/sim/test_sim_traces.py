"""Trace parsing: the Azure CSV layout and JSONL; every error names its line."""

import numpy as np
import pytest

from kvpipe.sim import TraceError, parse_azure_csv, parse_jsonl, parse_trace

AZURE = """TIMESTAMP,ContextTokens,GeneratedTokens
2023-11-16 18:15:46.6805900,374,44
2023-11-16 18:15:50.9951690,396,109

2023-11-16 18:15:51.1235160,879,31
"""


def test_azure_datetimes_become_seconds_after_the_first_row():
    r = parse_azure_csv(AZURE)
    np.testing.assert_allclose(r.arrival_s, [0.0, 4.314579, 4.442926], atol=1e-6)
    np.testing.assert_array_equal(r.prompt_tokens, [374, 396, 879])
    np.testing.assert_array_equal(r.output_tokens, [44, 109, 31])


def test_azure_numeric_seconds_any_column_order_extra_columns():
    text = "GeneratedTokens,id,TIMESTAMP,ContextTokens\n5,a,0.5,100\n7,b,1.25,30\n"
    r = parse_azure_csv(text.splitlines())
    np.testing.assert_array_equal(r.arrival_s, [0.0, 0.75])  # seconds after the first row
    np.testing.assert_array_equal(r.prompt_tokens, [100, 30])
    np.testing.assert_array_equal(r.output_tokens, [5, 7])


def test_azure_absolute_numeric_seconds_are_rebased_to_the_first_row():
    # Unix-like seconds: left as they were, a fast-mode step at t = 3e6 s fell below the
    # clock's resolution and the run spun forever
    r = parse_azure_csv("TIMESTAMP,ContextTokens,GeneratedTokens\n3000000,100,5\n3000001.5,200,5\n")
    np.testing.assert_array_equal(r.arrival_s, [0.0, 1.5])


def test_jsonl():
    text = (
        '{"arrival_s": 0, "prompt_tokens": 10, "output_tokens": 2}\n\n'
        '{"arrival_s": 0.5, "prompt_tokens": 3, "output_tokens": 1}\n'
    )
    r = parse_trace(text, "jsonl")
    np.testing.assert_array_equal(r.arrival_s, [0.0, 0.5])
    assert len(r) == 2


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("TIMESTAMP,ContextTokens\n0,1\n", 1, "GeneratedTokens"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,2\n-1,10,2\n", 3, "negative"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n1,10,2\n0.5,10,2\n", 3, "not sorted"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,2\n1,nan,2\n", 3, "NaN"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\nnan,10,2\n", 2, "NaN"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,2\n1,10\n", 3, "fields"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,2.5\n", 2, "integer"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n0,0,2\n", 2, "integer"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,10,2\n", 2, "TIMESTAMP"),
        ("", 1, "empty"),
    ],
)
def test_azure_errors_name_the_line(text, line, words):
    with pytest.raises(TraceError) as e:
        parse_azure_csv(text)
    assert e.value.line == line
    assert f"line {line}:" in str(e.value)
    assert words.lower() in str(e.value).lower()


OK = '{"arrival_s": 0, "prompt_tokens": 10, "output_tokens": 2}'


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (OK + '\n{"arrival_s": -0.1, "prompt_tokens": 1, "output_tokens": 1}', 2, "negative"),
        ('{"arrival_s": 2, "prompt_tokens": 10, "output_tokens": 2}\n\n' + OK.replace('0,', '1,', 1), 3, "not sorted"),
        ('{"arrival_s": NaN, "prompt_tokens": 10, "output_tokens": 2}', 1, "NaN"),
        ('{"arrival_s": 0, "prompt_tokens": 10}', 1, "output_tokens"),
        (OK + '\n{"arrival_s": 1, "prompt', 2, "JSON"),
        ('[1, 2, 3]', 1, "object"),
        ('{"arrival_s": "soon", "prompt_tokens": 10, "output_tokens": 2}', 1, "number"),
        ('{"arrival_s": 0, "prompt_tokens": NaN, "output_tokens": 2}', 1, "NaN"),
    ],
)
def test_jsonl_errors_name_the_line(text, line, words):
    with pytest.raises(TraceError) as e:
        parse_jsonl(text)
    assert e.value.line == line
    assert words.lower() in str(e.value).lower()
