namespace BayesDL.Posthoc;

/// <summary>How many prior precisions delta a <see cref="LaplacePosterior"/> has: p(theta) = N(0, diag(delta)^-1).</summary>
public enum PriorPrecisionScope
{
    /// <summary>One delta for every weight of the subset.</summary>
    Global,

    /// <summary>One delta per dense layer of the subset (its weight and bias).</summary>
    PerLayer,
}
