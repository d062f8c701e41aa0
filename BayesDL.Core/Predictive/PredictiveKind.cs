namespace BayesDL.Predictive;

/// <summary>What a <see cref="PredictiveSamples"/> holds.</summary>
public enum PredictiveKind
{
    /// <summary>Class probabilities [T, N, C].</summary>
    Classification,

    /// <summary>Regression means [T, N, D], optionally with predicted aleatoric variances [T, N, D].</summary>
    Regression,
}
