"""Reading a document: text, Markdown, and the Document they become."""
