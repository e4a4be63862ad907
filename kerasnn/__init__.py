"""kerasnn: Keras 3 model builders that follow the working rules of practice.

The problem type picks the output layer, its activation and the loss; the
hidden part follows the rules of thumb (one hidden layer to start, widths in
powers of 2, dropout and weight decay, BatchNorm before the activation,
initialisation matched to the activation).
"""

from kerasnn.dense import build_model
from kerasnn.errors import KerasnnError
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import ProblemInferenceError
from kerasnn.problems import PROBLEMS
from kerasnn.problems import infer_problem
from kerasnn.vision import build_image_model

__version__ = "0.1.0"

__all__ = [
    "PROBLEMS",
    "KerasnnError",
    "KerasnnTypeError",
    "KerasnnValueError",
    "ProblemInferenceError",
    "build_image_model",
    "build_model",
    "infer_problem",
]
