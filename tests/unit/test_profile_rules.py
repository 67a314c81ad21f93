"""Pure profile rules: choices, links, skills, change detection and CV content sniffing."""

import io
import zipfile

import pytest

from domain.profiles import files, rules
from domain.profiles.service import taxonomy

# --- Files a test can upload (also used by the integration and web tests) -------------

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)
DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats'
    '.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Ann Smith</w:t></w:r></w:p>'
    "</w:body></w:document>"
)


def make_zip(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make_docx(extra: dict[str, bytes | str] | None = None) -> bytes:
    return make_zip({"[Content_Types].xml": DOCX_CONTENT_TYPES,
                     "word/document.xml": DOCUMENT_XML, **(extra or {})})


HTML_BYTES = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
SVG_BYTES = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
ELF_BYTES = b"\x7fELF\x02\x01\x01" + b"\x00" * 100
EXE_BYTES = b"MZ\x90\x00\x03" + b"\x00" * 100


# --- Choices ---------------------------------------------------------------------------


def test_countries_are_the_iso_alpha_2_list():
    assert len(rules.COUNTRIES) == 249
    assert rules.COUNTRIES["GB"] == "United Kingdom"
    assert all(len(code) == 2 and code.isupper() for code in rules.COUNTRIES)


def test_time_zones_are_canonical_iana_names():
    zones = rules.time_zones()
    assert {"UTC", "Europe/London", "America/New_York", "Asia/Tokyo"} <= set(zones)
    assert "US/Eastern" not in zones and "localtime" not in zones


def test_choice_values_fit_their_columns():
    for choices in (rules.JOB_FUNCTIONS, rules.SENIORITIES, rules.OPEN_STATUSES):
        assert all(len(value) <= 16 for value, _ in choices)


# --- Links -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://github.com/ann", "https://github.com/ann"),
    ("  HTTP://Example.com/x?y=1#z ", "http://Example.com/x?y=1#z"),
    ("github.com/ann", "https://github.com/ann"),
    ("www.linkedin.com/in/ann-smith", "https://www.linkedin.com/in/ann-smith"),
])
def test_http_links_are_accepted(raw, expected):
    assert rules.clean_link(raw) == expected


@pytest.mark.parametrize("raw", [
    "javascript:alert(1)", "JavaScript:alert(document.cookie)", " javascript:void(0)",
    "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox", "file:///etc/passwd",
    "ftp://example.com/cv", "https://exa mple.com", "java\tscript:alert(1)",
    "https://user:secret@example.com", "https://localhost/x", "https://10.0.0.1/",
    "https://example.com:99999/", "https://" + "a" * 300 + ".com",
])
def test_dangerous_or_malformed_links_are_refused(raw):
    with pytest.raises(rules.InvalidLink) as caught:
        rules.clean_link(raw)
    assert str(caught.value)


def test_links_are_deduplicated_and_limited_to_five():
    links, problems = rules.clean_links(["https://a.com", "a.com", "", "https://b.com"])
    assert links == ["https://a.com", "https://b.com"] and problems == []
    many = [f"https://site{i}.com" for i in range(6)]
    _, problems = rules.clean_links(many)
    assert problems == ["Add at most 5 links."]
    _, problems = rules.clean_links(["javascript:alert(1)"])
    assert problems and "https://" in problems[0]


# --- Skills ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index():
    return rules.SkillIndex.build(taxonomy())


def test_taxonomy_is_broad_and_consistent():
    skills = taxonomy()
    slugs = [skill["slug"] for skill in skills]
    assert len(skills) >= 300 and len(set(slugs)) == len(slugs)
    assert {s["category"] for s in skills} == {
        "engineering", "data", "design", "product", "sales", "marketing", "customer_success",
        "operations", "finance", "people", "legal"}  # the job functions, "other" aside
    assert all(s.get("parent") in {None, *slugs} for s in skills)
    assert all(len(s["slug"]) <= 80 and len(s["name"]) <= 120 for s in skills)
    pytorch = next(s for s in skills if s["slug"] == "pytorch")
    assert pytorch["parent"] == "machine-learning"


def test_no_two_skills_share_a_spelling():
    owners: dict[str, set[str]] = {}
    for skill in taxonomy():
        for alias in (skill["name"], skill["slug"], *skill["synonyms"]):
            owners.setdefault(rules.skill_key(alias), set()).add(skill["slug"])
    assert {key: slugs for key, slugs in owners.items() if len(slugs) > 1} == {}


@pytest.mark.parametrize(("text", "slug"), [
    ("js", "javascript"), ("JavaScript ", "javascript"), ("Javascript", "javascript"),
    ("JAVASCRIPT", "javascript"), ("k8s", "kubernetes"), ("PyTorch", "pytorch"),
    ("golang", "go"), ("C++", "cpp"), ("c#", "csharp"), ("C", "c"), (".NET", "dotnet"),
    ("Node.js", "nodejs"), ("postgres", "postgresql"), ("kubernets", "kubernetes"),
    ("Pyhton", "python"), ("Figam", "figma"), ("Kuberentes", "kubernetes"),
    ("Salesfroce", "salesforce"), ("UX", "ux-design"), ("SEO", "seo"),
])
def test_free_text_normalises_to_known_skills(index, text, slug):
    assert index.match(text) == slug


@pytest.mark.parametrize("text", ["jav", "Underwater basket weaving", "", "  ",
                                  "Research", "Mentoring", "Design", "Sketchup", "Jest"])
def test_unknown_or_too_short_to_guess_stays_unmatched(index, text):
    assert index.match(text) is None


def test_normalise_skills_keeps_order_and_unmatched_text(index):
    matched, unmatched = rules.normalise_skills(
        ["js, JavaScript ;Javascript", "Kubernetes\nk8s", "Basket  weaving", "basket weaving"],
        index)
    assert matched == ["javascript", "kubernetes"]
    assert unmatched == ["Basket weaving"]


def test_unreasonable_skill_lists_are_refused(index):
    with pytest.raises(rules.InvalidSkills):
        rules.normalise_skills([", ".join(f"skill {i}" for i in range(41))], index)
    with pytest.raises(rules.InvalidSkills):
        rules.normalise_skills(["x" * 81], index)


def test_suggestions_put_prefix_matches_first(index):
    assert index.suggest("kube")[0] == "kubernetes"
    assert "python" in index.suggest("py")
    assert index.suggest("") == []


# --- Changes ---------------------------------------------------------------------------


def test_changed_fields_names_fields_not_values():
    before = {"full_name": "Ann", "headline": "", "links": [], "skills": None,
              "unmatched_skills": None, "open_to_relocation": None}
    after = {"full_name": "Ann", "headline": "Engineer", "links": (), "skills": (),
             "unmatched_skills": ("Basket weaving",), "open_to_relocation": False}
    assert rules.changed_fields(before, after) == ["headline", "skills"]
    assert rules.changed_fields(after, after) == []


# --- CV files --------------------------------------------------------------------------


def test_pdf_and_docx_are_recognised_by_content():
    assert files.sniff(PDF_BYTES) == files.PDF
    assert files.sniff(make_docx()) == files.DOCX


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (HTML_BYTES, "PDF or a Word document"),
    (SVG_BYTES, "PDF or a Word document"),
    (ELF_BYTES, "PDF or a Word document"),
    (EXE_BYTES, "PDF or a Word document"),
    (b"  %PDF-1.4 not at the start", "PDF or a Word document"),
    (make_zip({"notes.txt": "hello"}), "PDF or a Word document"),
    (make_docx({"word/vbaProject.bin": b"macros"}), "PDF or a Word document"),
    (b"PK\x03\x04" + b"\x00" * 64, "damaged"),
    (PDF_BYTES + b"\x00" * files.MAX_CV_BYTES, "10 MB"),
])
def test_anything_else_is_refused_with_a_message(data, message):
    with pytest.raises(files.RejectedFile) as caught:
        files.sniff(data)
    assert message in str(caught.value)


def test_zip_bombs_are_refused_before_they_inflate():
    bomb = make_docx({"word/media/zeros.bin": b"\x00" * (files.MAX_DOCX_UNCOMPRESSED + 1)})
    assert len(bomb) < files.MAX_CV_BYTES
    with pytest.raises(files.RejectedFile) as caught:
        files.sniff(bomb)
    assert "unpacked" in str(caught.value)


def test_a_lying_zip_directory_is_caught_while_reading(monkeypatch):
    monkeypatch.setattr(files, "MAX_DOCX_UNCOMPRESSED", len(DOCUMENT_XML) - 1)
    monkeypatch.setattr(files, "_check_sizes", lambda infos: None)
    with pytest.raises(files.RejectedFile):
        files.sniff(make_docx())


@pytest.mark.parametrize(("name", "content_type", "expected"), [
    ("../../etc/passwd", files.PDF, "passwd.pdf"),
    ("C:\\Users\\ann\\My CV (final).PDF", files.PDF, "My CV (final).pdf"),
    ('<script>alert("x")</script>.pdf', files.PDF, "script.pdf"),
    ("<img src=x onerror=alert(1)>.pdf", files.PDF, "img src x onerror alert(1).pdf"),
    ("cv.exe", files.DOCX, "cv.docx"),
    ("Résumé.docx", files.DOCX, "Résumé.docx"),
    ("", files.PDF, "cv.pdf"),
    ("\x00\r\n.pdf", files.PDF, "cv.pdf"),
])
def test_display_names_are_sanitised(name, content_type, expected):
    assert files.display_name(name, content_type) == expected


def test_storage_keys_cannot_escape_the_directory():
    with pytest.raises(ValueError, match="storage key"):
        files.path_of("../../secret")


def test_a_malformed_address_is_refused_not_a_crash():
    # Found by the API contract test: urlsplit raises ValueError on an unclosed "[".
    links, problems = rules.clean_links(["http://[", "https://[::1", "github.com/ann"])
    assert links == ["https://github.com/ann"] and len(problems) == 2
