"""The files a GitLab CI job leaves for ``artifacts:reports``: the verdict as JUnit XML
(the merge-request widget lists failed tests from it) and as a ``dotenv`` file (its
variables reach later jobs of the pipeline).

Written with the results and report, before anything talks to GitLab, through
:func:`mlci.safefs.write_text` (a committed symlink at the name is replaced, never
followed). Strings from the pull request (metric keys, reasons, paths) go into the XML
only as escaped text, with the characters XML 1.0 cannot hold replaced; the dotenv file
carries no pull-request text at all.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from mlci.render.markdown import dataset_summary
from mlci.results import Results
from mlci.safefs import write_text

# Characters XML 1.0 allows; everything else (NUL, most C0 controls, lone surrogates,
# U+FFFE/U+FFFF) would make the file unreadable to GitLab's parser.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def junit_xml(results: Results) -> str:
    """One ``testcase`` per judgement: each gate, the project's tests, each dataset; a
    failed one carries a ``failure`` with its reason, a warning says so in ``system-out``."""
    suite = ET.Element("testsuite", name=_xml_text(f"mlci: {results.title}"))
    cases: list[tuple[str, str, str, str, str | None]] = [
        ("mlci.gates", gate.rule, gate.outcome, gate.reason, results.config_file)
        for gate in results.gates
    ]
    if results.tests is not None:
        tests = results.tests
        cases.append(("mlci.tests", tests.command, tests.outcome, tests.reason, None))
    cases.extend(
        ("mlci.data", dataset.path, dataset.outcome, dataset_summary(dataset), dataset.path)
        for dataset in results.data
    )
    failures = 0
    for classname, name, outcome, reason, file in cases:
        case = ET.SubElement(suite, "testcase", classname=classname, name=_xml_text(name))
        if file:
            case.set("file", _xml_text(file))
        if outcome == "fail":
            failures += 1
            failure = ET.SubElement(case, "failure", message=_xml_text(reason), type="mlci")
            failure.text = _xml_text(reason)
        elif outcome == "warn":
            ET.SubElement(case, "system-out").text = _xml_text(f"warning: {reason}")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def dotenv(results: Results) -> str:
    """``MLCI_VERDICT`` and the counts, one ``NAME=value`` a line as GitLab's dotenv
    report wants (no quotes, no multi-line values)."""
    counts = results.counts()
    values = {
        "MLCI_VERDICT": results.verdict,
        "MLCI_FAILED": counts["fail"],
        "MLCI_WARNINGS": counts["warn"],
        "MLCI_PASSED": counts["pass"],
    }
    return "".join(f"{name}={value}\n" for name, value in values.items())


def write_reports(results: Results, junit_path: Path | None, dotenv_path: Path | None) -> None:
    if junit_path is not None:
        write_text(junit_path, junit_xml(results))
    if dotenv_path is not None:
        write_text(dotenv_path, dotenv(results))
