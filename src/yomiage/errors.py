"""The one error family yomiage raises.

Every failure a user can cause or meet (a bad file, a bad setting, an engine or
ffmpeg failing) is turned into one of these at the boundary where it happens,
with the file, line or chapter in the message. The CLI prints the message as
one line and exits non-zero; anything else is a bug and keeps its traceback.
"""


class YomiageError(Exception):
    """Root of every error the command line reports as one clear line."""


class SourceError(YomiageError):
    """The input document is missing, empty, binary or undecodable."""


class ConfigError(YomiageError):
    """A YAML settings file is invalid, or holds an unknown or out-of-range setting."""


class ScriptError(YomiageError):
    """An episode's script.yaml is invalid, or names no such chapter."""


class SynthesisError(YomiageError):
    """A text-to-speech engine failed on a segment.

    `position` is the index of the failing text among those the engine was given,
    when the engine knows it, so the pipeline can name the chapter and sentence.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class AudioError(YomiageError):
    """Assembling, mastering, encoding or tagging the audio failed."""


class OutputError(YomiageError):
    """The episode folder, or a file in it, cannot be created or written."""
