"""kerasnn: Keras 3 model builders that follow the working rules of practice.

The problem type picks the output layer, its activation and the loss; the
hidden part follows the rules of thumb (one hidden layer to start, widths in
powers of 2, dropout and weight decay, BatchNorm before the activation,
initialisation matched to the activation).
"""

from kerasnn._plan import embedding_size
from kerasnn.autoencoder import build_autoencoder
from kerasnn.ctgan import CTGAN
from kerasnn.autoencoder import reconstruction_error
from kerasnn.dense import build_model
from kerasnn.distributed import ProcessInfo
from kerasnn.distributed import initialize_data_parallel
from kerasnn.distributed import process_info
from kerasnn.errors import KerasnnError
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import ProblemInferenceError
from kerasnn.multilabel import label_scores
from kerasnn.problems import PROBLEMS
from kerasnn.problems import infer_problem
from kerasnn.results import CrossValidationResult
from kerasnn.results import FineTuneResult
from kerasnn.results import SearchResult
from kerasnn.results import TrainingResult
from kerasnn.semi_supervised import PseudoLabelResult
from kerasnn.semi_supervised import train_pseudo_labeled
from kerasnn.synthetic import sample_rows
from kerasnn.tabular import build_tabular_model
from kerasnn.tabular import column_kinds
from kerasnn.tabular import predict_labels
from kerasnn.training import train_tabular
from kerasnn.transfer import fine_tune
from kerasnn.transfer import freeze
from kerasnn.transfer import imprint
from kerasnn.transfer import swap_head
from kerasnn.transfer import unfreeze
from kerasnn.tuning import cross_validate
from kerasnn.tuning import tune
from kerasnn.vision import build_image_model

__version__ = "0.1.0"

__all__ = [
    "CTGAN",
    "PROBLEMS",
    "CrossValidationResult",
    "FineTuneResult",
    "KerasnnError",
    "KerasnnTypeError",
    "KerasnnValueError",
    "ProblemInferenceError",
    "ProcessInfo",
    "PseudoLabelResult",
    "SearchResult",
    "TrainingResult",
    "build_autoencoder",
    "build_image_model",
    "build_model",
    "build_tabular_model",
    "column_kinds",
    "cross_validate",
    "embedding_size",
    "fine_tune",
    "freeze",
    "imprint",
    "infer_problem",
    "label_scores",
    "initialize_data_parallel",
    "predict_labels",
    "process_info",
    "reconstruction_error",
    "sample_rows",
    "swap_head",
    "train_pseudo_labeled",
    "train_tabular",
    "tune",
    "unfreeze",
]
