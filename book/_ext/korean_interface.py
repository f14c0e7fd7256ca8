"""The book's interface in Korean.

The themes (pydata-sphinx-theme, sphinx-book-theme) ship no Korean for most of their
buttons and tooltips, and sphinx-book-theme's Korean catalogue renders its footer "By"
as a bare "으로". This extension puts the Korean below in front of the themes' own
catalogues, so every string the themes translate reads in Korean. Strings the themes
write without translating are handled where they are: the two sidebar buttons in
``book/_templates``, the search box and the footer in ``_config.yml``, and myst-nb's
toggle label here, sphinx-copybutton's tooltips in ``book/_static/korean_interface.js``
(loaded here, after copybutton.js). ``tests/test_book.py`` reads the built pages in a browser and fails
on any English interface string it knows.
"""

from gettext import GNUTranslations, NullTranslations

from sphinx.locale import get_translator

# msgid -> Korean, for Sphinx's own catalogue (which the themes' templates use).
SPHINX = {
    "Back to top": "맨 위로",
    "Skip to main content": "본문으로 건너뛰기",
    "Color mode": "화면 밝기",
    "Light": "밝게",
    "Dark": "어둡게",
    "System Settings": "시스템 설정 따르기",
    "Site navigation": "사이트 탐색",
    "Section Navigation": "절 탐색",
    "Breadcrumb": "현재 위치",
    "Home": "처음",
    "On this page": "이 페이지의 내용",
    "Version warning": "버전 안내",
    "Announcement": "알림",
    "previous page": "이전 페이지",
    "next page": "다음 페이지",
    "previous": "이전",
    "next": "다음",
    "Search": "검색",
    "Expand Sidebar": "사이드바 펼치기",
    "Link to this heading": "이 제목으로 가는 링크",
    "Link to this image": "이 그림으로 가는 링크",
    "Link to this table": "이 표로 가는 링크",
    "Link to this code": "이 코드로 가는 링크",
    "Link to this equation": "이 식으로 가는 링크",
    "Link to this definition": "이 정의로 가는 링크",
    "Link to this term": "이 용어로 가는 링크",
    "Collapse Sidebar": "사이드바 접기",
    # the footer: copyright in _config.yml names the year and the course
    "© Copyright %(copyright)s.": "© %(copyright)s",
    "Copyright %(copyright)s": "© %(copyright)s",
}

# msgid -> Korean, for sphinx-book-theme's catalogue (header buttons, tooltips).
BOOK_THEME = {
    "Launch interactive content": "노트북 실행하기",
    "Launch on": "실행 환경:",
    "Source repository": "GitHub 저장소",
    "Source repositories": "GitHub 저장소",
    "Repository": "저장소",
    "Open issue": "문제 알리기",
    "Open an issue": "문제 알리기",
    "Download this page": "이 페이지 내려받기",
    "Download notebook file": "노트북 파일 내려받기",
    "Download source file": "원본 파일 내려받기",
    "Print to PDF": "PDF로 인쇄",
    "Fullscreen mode": "전체 화면",
    "Contents": "이 페이지의 내용",
    "Search": "검색",
}

# myst-nb writes this label on every folded cell's toggle without translating it.
TOGGLE_LABEL = (
    'aria-label="Toggle hidden content"',
    'aria-label="숨긴 내용 열고 닫기"',
)


class _Korean(NullTranslations):
    def __init__(self, messages: dict[str, str]):
        super().__init__()
        self._messages = messages

    def gettext(self, message):
        if message in self._messages:
            return self._messages[message]
        return super().gettext(message)


def _put_in_front(catalog: str, messages: dict[str, str]) -> None:
    translator = get_translator(catalog)
    if isinstance(translator, GNUTranslations):
        # the translator the templates already hold: its own messages come first
        translator._catalog.update(messages)
    else:
        translator.add_fallback(_Korean(messages))


def _translate(app) -> None:
    if (app.config.language or "").split("_")[0] != "ko":
        return
    _put_in_front("sphinx", SPHINX)
    _put_in_front("booktheme", BOOK_THEME)


def setup(app):
    from myst_nb.sphinx_ import (
        HideCodeCellNode,
        depart_HideCellInput,
        visit_HideCellInput,
    )

    def visit_hidden_cell(self, node):
        start = len(self.body)
        visit_HideCellInput(self, node)
        self.body[start:] = [part.replace(*TOGGLE_LABEL) for part in self.body[start:]]

    app.add_node(
        HideCodeCellNode,
        override=True,
        html=(visit_hidden_cell, depart_HideCellInput),
    )
    app.connect("builder-inited", _translate)
    # after sphinx-copybutton's script (priority 500), whose messages it translates
    app.add_js_file("korean_interface.js", priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
