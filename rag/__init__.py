"""vnrag: question answering over Vietnamese news articles, with cited sources.

The pipeline reads as: articles → chunks → vectors → index → hits → answer.

>>> from rag import RAG
>>> rag = RAG.open()                                   # doctest: +SKIP
>>> rag.ask("Triều Tiên đã gửi bao nhiêu quân đến hỗ trợ Nga?").text  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .pipeline import RAG

__all__ = ["RAG", "__version__"]


def __getattr__(name: str) -> Any:
    # Keep `import rag` light: the pipeline pulls in torch and faiss.
    if name == "RAG":
        from .pipeline import RAG

        return RAG
    raise AttributeError(name)
