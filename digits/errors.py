"""The one exception type for problems a user can fix (bad file, missing data, wrong checksum).

Each command-line script catches it once and prints its message as a single line, without a traceback.
"""


class DigitsError(Exception):
    """A problem with the user's input or environment, described in one line that names the file."""
