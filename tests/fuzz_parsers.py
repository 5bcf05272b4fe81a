"""Coverage-guided fuzzing (atheris / libFuzzer) of every parser a verifier runs on
bundle bytes.

    python tests/fuzz_parsers.py -max_total_time=60 CORPUS_DIR [...]

The first input byte picks the target, the rest is its input:

0. a DSSE envelope, parsed strictly and opened under the run key
1. a manifest statement
2. ``proofs/index.jsonl`` lines
3. a ``log.jsonl`` export (records, checkpoints under the run key, trailer)
4. a TrainingSpec
5. a whole ``.zkab`` archive, through ``verify_bundle``

A typed :class:`~zkattest.errors.ZkattestError` is the expected rejection; any other
exception, or an archive that verifies, is a bug and stops the fuzzer. Set
``ZKATTEST_FUZZ_PUB`` to the public key of the bundle the corpus came from so that its
signatures verify and the parsers behind them are reached. ``test_bundle.py`` runs this
for a bounded time. Target 5 writes its input to ``./fuzz-input.zkab``.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import atheris

# Only zkattest's own modules are instrumented (numpy, cryptography, ... are not ours).
with atheris.instrument_imports(include=["zkattest"]):
    from zkattest import keys
    from zkattest.bundle import Manifest, ProofEntry, open_envelope, strict_envelope
    from zkattest.errors import ZkattestError
    from zkattest.log import verify_jsonl
    from zkattest.spec import TrainingSpec
    from zkattest.statement import Statement
    from zkattest.verify import verify_bundle

_PUB_PATH = os.environ.get("ZKATTEST_FUZZ_PUB")
PUB = keys.load_public_key(_PUB_PATH) if _PUB_PATH else keys.generate().public_key()
# libFuzzer leaves through _exit (no cleanup), so the scratch file lives in the working
# directory (the test runs the fuzzer in a temporary one).
ARCHIVE = Path.cwd() / "fuzz-input.zkab"


def one_input(data: bytes) -> None:
    if not data:
        return
    target, body = data[0] % 6, data[1:]
    try:
        if target == 0:
            open_envelope(strict_envelope(body, "fuzz"), PUB, None, "fuzz")
        elif target == 1:
            Manifest.from_statement(Statement.from_json(body, "fuzz"))
        elif target == 2:
            for i, line in enumerate(body.split(b"\n")):
                ProofEntry.from_line(line, i, "fuzz")
        elif target == 3:
            verify_jsonl(io.BytesIO(body), PUB)
        elif target == 4:
            TrainingSpec.from_json(body)
        else:
            ARCHIVE.write_bytes(body)
            # allow_unproved: a fuzzed archive must not verify even when missing step
            # proofs are allowed (the strict default would hide other checks behind them).
            report = verify_bundle(ARCHIVE, PUB, allow_unproved=True)
            internal = [c for c in report.checks if "internal error" in c.detail]
            if report.verified or internal:
                raise AssertionError(f"fuzzed archive: {report.verdict()} {internal}")
    except ZkattestError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
