"""The web chat over the ``rag`` library (Gradio): ``rag serve`` runs :func:`ui.app.serve`."""
