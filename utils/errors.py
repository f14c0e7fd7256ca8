"""Errors a student can act on, written in Korean and English."""


class CourseDataError(RuntimeError):
    """A data problem explained in both languages, with what to do next."""

    def __init__(self, korean: str, english: str):
        self.korean = korean
        self.english = english
        super().__init__(f"{korean}\n{english}")


def missing_file_error(folder, missing):
    """The folder is not in the expected official layout."""
    return CourseDataError(
        f"'{folder}' 폴더가 공식 배포본의 구조가 아닙니다: '{missing}' 이(가) 없습니다.",
        f"'{folder}' is not in the official layout: '{missing}' is missing.",
    )
