"""Stage 2 of the pipeline: simplify a trained RNN with normalizers (mips-method.md §6, §7).

Public API::

    normalize, NormalizationReport, DEFAULT_STEPS          the chain
    whiten, jnf, toeplitz, debias, quantize                one normalizer each -> NormalizerStep
    change_basis, effective_maps                           the hidden-basis symmetry
    NetworkMetrics, compute_metrics                        the §7 metrics table
    NormalizerData, prepare_data, NormalizerStep
    l1_finetune, retrain_with_zeros_fixed, FinetuneResult  §6 fine-tuning
"""

from mips.normalizers.basis import change_basis, effective_maps
from mips.normalizers.chain import DEFAULT_STEPS, NormalizationReport, normalize
from mips.normalizers.debiasing import debias
from mips.normalizers.finetune import FinetuneResult, l1_finetune, retrain_with_zeros_fixed
from mips.normalizers.jordan import jnf, real_jordan_basis
from mips.normalizers.metrics import NetworkMetrics, compute_metrics
from mips.normalizers.quantization import quantize
from mips.normalizers.step import NormalizerData, NormalizerStep, prepare_data
from mips.normalizers.toeplitz_form import toeplitz
from mips.normalizers.whitening import whiten

__all__ = [
    "DEFAULT_STEPS",
    "FinetuneResult",
    "NetworkMetrics",
    "NormalizationReport",
    "NormalizerData",
    "NormalizerStep",
    "change_basis",
    "compute_metrics",
    "debias",
    "effective_maps",
    "jnf",
    "l1_finetune",
    "normalize",
    "prepare_data",
    "quantize",
    "real_jordan_basis",
    "retrain_with_zeros_fixed",
    "toeplitz",
    "whiten",
]
