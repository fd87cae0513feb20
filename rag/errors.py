"""Project errors.

Every error a user can cause is a :class:`RagError` whose message names the bad
value and says what to do next. The CLI prints it on one line and exits
non-zero; the web chat shows it as the reply. Anything else is a bug.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class for errors caused by input, configuration or a missing artefact."""


class ConfigError(RagError):
    """A setting has a value outside its allowed range."""


class CorpusError(RagError):
    """The corpus cannot be read or holds no usable article."""


class IndexNotFoundError(RagError):
    """No index exists where one was expected."""


class IndexMismatchError(RagError):
    """The index was built by another model, format or chunking than the one loaded."""


class ModelError(RagError):
    """The embedding model cannot be loaded or converted."""


class QuestionError(RagError):
    """The question is empty or unusable."""


class QASetError(RagError):
    """A question set for evaluation is malformed."""
