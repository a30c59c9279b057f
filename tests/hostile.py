"""Hostile strings: each must show in the site as the text it is, and do nothing.

Every string carries a marker (`XSS…`) so that a test can tell whether any of
it turned into markup: a tag, an attribute, a link, an image, a heading.
"""

from __future__ import annotations

HOSTILE: tuple[str, ...] = (
    '<script>alert("XSS01")</script>',
    '<img src=x onerror=alert("XSS02")>',
    '<svg onload=alert("XSS03")>',
    '"><script>alert("XSS04")</script>',
    "'><img src=x onerror=alert('XSS05')>",
    '<a href="javascript:alert(\'XSS06\')">click</a>',
    "[click me](javascript:alert('XSS07'))",
    "![XSS08](https://evil.example/XSS08.png)",
    "<https://evil.example/XSS09>",
    "[XSS10]: https://evil.example/ref",
    "[ref][XSS10] and [XSS11](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "{{ 7*7 }} XSS12 {% if true %}jinja{% endif %}",
    "{# XSS13 comment #} {{ site.caseload }}",
    "| XSS14 | b |\n|---|---|\n| c | d |",
    "# XSS15 heading",
    "## XSS16 ##",
    "**XSS17 bold** _under_ `code` ~~strike~~",
    "XSS18 line one\n\n    indented code block\n- a list item",
    "<iframe src=\"https://evil.example/XSS19\"></iframe>",
    "<style>body{background:url(https://evil.example/XSS20)}</style>",
    "<link rel=stylesheet href=https://evil.example/XSS21.css>",
    "<object data=\"https://evil.example/XSS22\"></object>",
    "&lt;script&gt;XSS23&lt;/script&gt; &amp; &#60;b&#62;",
    "<!-- XSS24 --> <![CDATA[ x ]]>",
    # Bidi overrides are refused on input (tests/test_control_characters.py); the
    # direction marks that right-to-left text legitimately holds are not.
    "\u200fXSS25 right-to-left mark \u200e and עברית text",
    "XSS26 combining: Z\u0351\u0361a\u0352l\u0336g\u035bo\u0334 and emoji 🧠🙂",
    "XSS27" + "W" * 400,
    "!!! danger \"XSS28 admonition\"\n    injected",
    "<div markdown=\"1\">**XSS29**</div>",
    "XSS30 \\<b\\> backslash \\\\ and *stars*",
    "<form action=https://evil.example/XSS31><input name=x></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/XSS32\">",
    "javascript:alert('XSS33')",
    "<base href=\"https://evil.example/XSS34/\">",
    "--- \nXSS35: front matter\n---",
)
MARKERS = tuple(f"XSS{n:02d}" for n in range(1, 36))
