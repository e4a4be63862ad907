"""Diagnostics plugin: Keras callbacks that tell why a network is not learning.

Plugs into any compiled Keras 3 model (TensorFlow or JAX backend) and imports
nothing from `kerasnn`:

```python
from kerasnn.callbacks import GradientMonitor, StepLR, check_setup
print(check_setup(model, x, y))  # before training: setup mistakes
monitor = GradientMonitor()      # while training: symptoms and causes
model.fit(x, y, epochs=10, callbacks=[monitor, StepLR(step_size=5)])
print(monitor.report()["findings"])
```
"""

from ._base import CallbackError
from ._base import CallbackTypeError
from ._base import CallbackValueError
from ._base import CallbackWarning
from ._base import GradientHealthError
from ._findings import KINDS as FINDING_KINDS
from .fit_diagnosis import FitDiagnostics
from .fit_diagnosis import diagnose_fit
from .gradient_monitor import GradientMonitor
from .lr_finder import LRFinder
from .lr_finder import find_lr
from .setup_checks import check_setup
from .step_lr import StepLR

__all__ = [
    "CallbackError",
    "CallbackTypeError",
    "CallbackValueError",
    "CallbackWarning",
    "FINDING_KINDS",
    "FitDiagnostics",
    "GradientHealthError",
    "GradientMonitor",
    "LRFinder",
    "StepLR",
    "check_setup",
    "diagnose_fit",
    "find_lr",
]
