"""Weight sensitivity of the ranking (SPEC §4 权重分析): is a rank a fact or an artefact of 40/40/20?

Everything works on plain arrays of the ranked (`ok`) units of one period (`inputs`) and
reproduces the pipeline's rules for any weight vector w, many vectors at once (`kernel`): the
total rounded half up to the model's decimals, competition ranks overall and within the comparison
group, grades with thresholds, caps, vetoes and quotas. Each array function that restates a
pipeline rule says in its docstring which pipeline function it must equal, and a test checks it.

Modules, each importing only those listed before it (the kernel names `SensitivityInput` in
annotations only):

    tree             the performance tree flattened to arrays (`Tree`, `tree_from_model`)
    kernel           score, rank and grade rows of weight vectors (`Evaluation`, `evaluate`)
    inputs           `SensitivityInput`, the validating layer (`from_result`, `from_arrays`)
    sampling         weight samples (`sample_uniform`, `sample_dirichlet`, `sample_tree_factors`)
    sweeps           one-at-a-time sweeps and exact crossings (`sweep`, `crossings`)
    montecarlo       rank and grade distributions over weight samples (`monte_carlo`)
    ternary          the map of the whole 3-weight simplex (`ternary`)
    sobol            Sobol indices of the dimension weights (`sobol_weights`, `sobol_indices`)
    straightforward  `model_with_weights`, `model_with_choices`: the pipeline re-run per sample, for checks
                     and the benchmark
    assumptions      uncertainty over method choices (normalisation, aggregation, treatment, missing
                     policy) besides weights: `Assumptions`, `method_space`, `analyse`

Public API (re-exported here): `SensitivityInput` (`from_result`, `from_arrays`), `evaluate`, `sweep`,
`crossings`, `monte_carlo`, `ternary`, `sobol_weights`, `sobol_indices`, the samplers,
`model_with_weights`, and the types they return or take. Results are dataclasses with `to_frames()`
(dict of DataFrames, ready for an xlsx export). `SensitivityInput` is the validating layer; the `_`
functions are the kernel and trust their input.
"""

from scoring.sensitivity.assumptions import AssumptionResult, Assumptions, MethodSpace, analyse, method_space
from scoring.sensitivity.inputs import SensitivityInput
from scoring.sensitivity.kernel import Evaluation, evaluate
from scoring.sensitivity.montecarlo import MonteCarloResult, monte_carlo
from scoring.sensitivity.sampling import sample_dirichlet, sample_tree_factors, sample_uniform
from scoring.sensitivity.sobol import SobolResult, sobol_indices, sobol_weights
from scoring.sensitivity.straightforward import model_with_choices, model_with_weights
from scoring.sensitivity.sweeps import SweepResult, crossings, sweep
from scoring.sensitivity.ternary import TernaryResult, ternary
from scoring.sensitivity.tree import Tree, tree_from_model

__all__ = [
    "AssumptionResult",
    "Assumptions",
    "MethodSpace",
    "analyse",
    "method_space",
    "model_with_choices",
    "Evaluation",
    "MonteCarloResult",
    "SensitivityInput",
    "SobolResult",
    "SweepResult",
    "TernaryResult",
    "Tree",
    "crossings",
    "evaluate",
    "model_with_weights",
    "monte_carlo",
    "sample_dirichlet",
    "sample_tree_factors",
    "sample_uniform",
    "sobol_indices",
    "sobol_weights",
    "sweep",
    "ternary",
    "tree_from_model",
]
