"""The one error type the data package raises for data it cannot use."""


class DataSchemaError(ValueError):
    """The table is not what the loader expects.

    The message names the problem: the missing or unexpected columns, the column with the
    wrong dtype or values, or an empty table. It subclasses ``ValueError`` so code that
    already catches ``ValueError`` keeps working.
    """
