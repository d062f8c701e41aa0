namespace BayesDL.Posthoc;

/// <summary>Which weights a <see cref="LaplacePosterior"/> treats as random (Daxberger et al. 2021, sec. 3.1); the others stay at the
/// MAP.</summary>
public enum LaplaceSubset
{
    /// <summary>Every weight and bias of every dense layer.</summary>
    AllWeights,

    /// <summary>The last dense layer's weight and bias alone (Kristiadi et al. 2020): the features below it stay fixed.</summary>
    LastLayer,
}
