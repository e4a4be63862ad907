"""kerasnn: Keras 3 model builders that follow the working rules of practice.

The problem type picks the output layer, its activation and the loss; the
hidden part follows the rules of thumb (one hidden layer to start, widths in
powers of 2, dropout and weight decay, BatchNorm before the activation,
initialisation matched to the activation).

The public names below load on first use (PEP 562), so `import kerasnn`
imports neither a builder nor Keras, and `import kerasnn.callbacks` loads the
plugin alone.
"""

import importlib
import sys

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    "CTGAN": "kerasnn.extras.ctgan",
    "PROBLEMS": "kerasnn.problems",
    "CrossValidationResult": "kerasnn.results",
    "FineTuneResult": "kerasnn.results",
    "KerasnnError": "kerasnn.errors",
    "KerasnnTypeError": "kerasnn.errors",
    "KerasnnValueError": "kerasnn.errors",
    "ProblemInferenceError": "kerasnn.errors",
    "ProcessInfo": "kerasnn.distributed",
    "PseudoLabelResult": "kerasnn.extras.pseudo_labels",
    "SearchResult": "kerasnn.results",
    "TrainingResult": "kerasnn.results",
    "build_autoencoder": "kerasnn.builders.autoencoder",
    "build_image_model": "kerasnn.builders.image",
    "build_model": "kerasnn.builders.dense",
    "build_tabular_model": "kerasnn.tabular.model",
    "column_kinds": "kerasnn.tabular.model",
    "cross_validate": "kerasnn.extras.tuning",
    "embedding_size": "kerasnn.tabular.plan",
    "fine_tune": "kerasnn.transfer.fine_tuning",
    "freeze": "kerasnn.transfer.fine_tuning",
    "imprint": "kerasnn.transfer.heads",
    "infer_problem": "kerasnn.problems",
    "initialize_data_parallel": "kerasnn.distributed",
    "label_scores": "kerasnn.multilabel",
    "plot_history": "kerasnn.plotting",
    "predict_labels": "kerasnn.tabular.model",
    "process_info": "kerasnn.distributed",
    "reconstruction_error": "kerasnn.builders.autoencoder",
    "sample_rows": "kerasnn.extras.synthetic",
    "swap_head": "kerasnn.transfer.heads",
    "train_pseudo_labeled": "kerasnn.extras.pseudo_labels",
    "train_tabular": "kerasnn.tabular.training",
    "tune": "kerasnn.extras.tuning",
    "unfreeze": "kerasnn.transfer.fine_tuning",
}

# The classes a saved `.keras` file may name (registered as "kerasnn>Name"),
# and their modules. See `_register_saved_classes`.
_SAVED_CLASSES = {
    "CTGANGenerator": "kerasnn.extras._ctgan_networks",
    "CosineClassifier": "kerasnn.transfer.cosine_classifier",
    "EnsembleDense": "kerasnn.tabular.ensemble",
    "EnsembleHead": "kerasnn.tabular.ensemble",
    "FillMissing": "kerasnn.tabular.layers",
    "MeanPrediction": "kerasnn.tabular.ensemble",
    "PiecewiseLinear": "kerasnn.tabular.layers",
    "SignedLog": "kerasnn.tabular.layers",
    "TabularModel": "kerasnn.tabular._tabular_model",
}

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
    "plot_history",
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


def __getattr__(name):
    """Imports the module that defines the public `name` on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'kerasnn' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _SavedClass:
    """Stands in Keras's registry for a kerasnn class not yet imported.

    Keras finds a saved layer's class by its registered name; the real class
    registers itself (`keras.saving.register_keras_serializable`) only when
    its module is imported. Loading asks this stand-in for `from_config`: it
    imports the module, whose decorator then replaces the stand-in, and lets
    the real class build the object.
    """

    def __init__(self, name, module):
        self.name, self.module = name, module

    def from_config(self, config):
        cls = getattr(importlib.import_module(self.module), self.name)
        return cls.from_config(config)

    def __repr__(self):
        return f"<kerasnn class {self.module}.{self.name}, not yet imported>"


def _register_saved_classes(keras):
    """Keeps `keras.saving.load_model` working after a bare `import kerasnn`."""
    registry = keras.saving.get_custom_objects()
    for name, module in _SAVED_CLASSES.items():
        registry.setdefault(f"kerasnn>{name}", _SavedClass(name, module))


class _AfterKerasImport:
    """Registers the saved classes as soon as `keras` finishes importing.

    Importing Keras takes seconds (it loads its backend), so `import kerasnn`
    leaves it to the first import of `keras`, which every `load_model` call
    needs anyway. This finder, first on `sys.meta_path`, asks the finders
    after it for `keras` and wraps the loader they return: Keras runs as
    it would, the saved classes are registered at the end, and the finder
    leaves `sys.meta_path`. Keras's module keeps its own loader.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        chain = sys.meta_path
        later = chain[chain.index(self) + 1:] if self in chain else chain
        for finder in later:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find else None
            if spec is not None:
                if hasattr(spec.loader, "exec_module"):
                    spec.loader = _RegisteringLoader(spec.loader, self)
                return spec
        return None


class _RegisteringLoader:
    """Runs Keras's own loader, then registers the saved classes."""

    def __init__(self, loader, finder):
        self.loader, self.finder = loader, finder

    def create_module(self, spec):
        create = getattr(self.loader, "create_module", None)
        return create(spec) if create else None

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        _register_saved_classes(module)
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)


if "keras" in sys.modules:
    _register_saved_classes(sys.modules["keras"])
else:
    sys.meta_path.insert(0, _AfterKerasImport())
