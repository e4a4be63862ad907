"""The recipes' error for bad input."""


class RecipeError(Exception):
    """A bad input to a recipe: printed as one line, exit status 2."""
