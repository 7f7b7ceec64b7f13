"""The page audit in a worker process finds what the in-process audit finds."""

from pathlib import Path

from kbsite.safety import audit
from kbsite.safety.audit_pool import BATCH, PageAuditor

LEAK = '<html><head></head><body><img src="https://tracker.example/p.png"></body></html>'


def test_worker_findings_equal_in_process_findings(tmp_path: Path):
    pages = {f"p{i:03}.html": (LEAK if i in (3, BATCH + 1) else "<p>clean</p>") for i in range(BATCH + 5)}
    for rel, text in pages.items():
        (tmp_path / rel).write_text(text, encoding="utf-8")
    (tmp_path / "leak.css").write_text("body{background:url(https://x.example/b.png)}", encoding="utf-8")
    auditor = PageAuditor("")
    for rel, text in pages.items():
        auditor.submit(rel, text)
    combined = audit.audit_site(tmp_path, skip=auditor.audited, earlier=auditor.findings())
    assert combined == audit.audit_site(tmp_path)
    assert {f.output for f in combined} >= {"p003.html", f"p{BATCH + 1:03}.html", "leak.css"}
